package dev.calicorr.core.kube;

/** {@code KubeControllersConfiguration/default} is stored, but as something that does not decode (left as it is). */
public class UnreadableConfigurationException extends Exception {
    private static final long serialVersionUID = 1L;

    public UnreadableConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
