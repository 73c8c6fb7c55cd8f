package dev.calicorr.core.kube;

/** The Kubernetes API could not be reached, or answered with an unexpected server error. */
public class ApiUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public ApiUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
