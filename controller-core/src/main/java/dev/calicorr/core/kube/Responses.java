package dev.calicorr.core.kube;

import io.kubernetes.client.common.KubernetesType;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.util.function.Supplier;

/** Turns client-java's two failure channels (status codes and thrown I/O errors) into one. */
public final class Responses {
    private Responses() {
    }

    /**
     * Runs one API call. Returns its response whatever the HTTP status; throws only when there was
     * no answer at all (connection refused, timeout) or the server failed (5xx).
     */
    public static <T extends KubernetesType> KubernetesApiResponse<T> call(String what,
            Supplier<KubernetesApiResponse<T>> call) throws ApiUnavailableException {
        KubernetesApiResponse<T> response;
        try {
            response = call.get();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ApiUnavailableException(what + ": Kubernetes API unreachable (" + cause + ")", e);
        }
        if (response.getHttpStatusCode() >= 500 || response.getHttpStatusCode() == 0) {
            throw new ApiUnavailableException(what + ": Kubernetes API error " + response.getHttpStatusCode()
                    + " " + message(response), null);
        }
        return response;
    }

    public static String message(KubernetesApiResponse<?> response) {
        return response.getStatus() == null ? "" : String.valueOf(response.getStatus().getMessage());
    }
}
