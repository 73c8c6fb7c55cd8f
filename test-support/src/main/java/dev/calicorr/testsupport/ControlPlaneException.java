package dev.calicorr.testsupport;

/** The control plane could not be built, started or used; the message carries the log tail. */
public class ControlPlaneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ControlPlaneException(String message) {
        super(message);
    }

    public ControlPlaneException(String message, Throwable cause) {
        super(message, cause);
    }
}
