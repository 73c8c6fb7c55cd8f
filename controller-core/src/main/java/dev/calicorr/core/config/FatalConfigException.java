package dev.calicorr.core.config;

/** A configuration the process cannot run with at all; the host exits with one clear line. */
public class FatalConfigException extends InvalidConfigException {
    private static final long serialVersionUID = 1L;

    public FatalConfigException(String field, String problem) {
        super(field, problem);
    }
}
