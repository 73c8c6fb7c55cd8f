package dev.calicorr.core.runtime;

/** The host cannot run; the message is the one line the operator sees before the process exits. */
public class HostStartException extends Exception {
    private static final long serialVersionUID = 1L;

    public HostStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
