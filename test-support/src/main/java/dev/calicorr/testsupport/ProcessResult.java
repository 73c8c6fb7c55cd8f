package dev.calicorr.testsupport;

/** What a finished command printed, and its exit code. */
public record ProcessResult(int exitCode, String stdout, String stderr) {
    public boolean ok() {
        return exitCode == 0;
    }
}
