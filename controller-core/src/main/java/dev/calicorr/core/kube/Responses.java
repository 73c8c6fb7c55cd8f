package dev.calicorr.core.kube;

import io.kubernetes.client.common.KubernetesType;
import io.kubernetes.client.openapi.models.V1Status;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns client-java's two failure channels (status codes and thrown I/O errors) into one. */
public final class Responses {
    /** How often a throttled (429) or failed (5xx) request is tried again before the caller gives up. */
    public static final int RETRIES = 5;
    /** The longest wait before one retry, also when the apiserver asks for more in Retry-After. */
    public static final Duration MAX_RETRY_WAIT = Duration.ofSeconds(10);
    private static final Duration FIRST_RETRY_WAIT = Duration.ofMillis(250);
    private static final Logger log = LoggerFactory.getLogger(Responses.class);

    private Responses() {
    }

    /**
     * Like {@link #call}, but a 429 (the apiserver's priority and fairness throttling) or a 5xx
     * answer is tried again, up to {@value #RETRIES} times, after the wait the apiserver asks for
     * ({@code status.details.retryAfterSeconds}, or the {@code Retry-After} header where the client
     * has {@link RetryAfter} installed) or else 250 ms doubling, at most {@link #MAX_RETRY_WAIT} each. A request that got no answer at all is
     * not retried here: the caller backs off as a whole (a blind controller must not keep writing).
     */
    public static <T extends KubernetesType> KubernetesApiResponse<T> callRetrying(String what,
            Supplier<KubernetesApiResponse<T>> call) throws ApiUnavailableException {
        Duration backoff = FIRST_RETRY_WAIT;
        for (int attempt = 0; ; attempt++) {
            KubernetesApiResponse<T> response = answer(what, call);
            int code = response.getHttpStatusCode();
            if (!retryable(code) || attempt == RETRIES) {
                return checked(what, response);
            }
            Duration wait = retryAfter(response.getStatus()).or(RetryAfter::lastAnswer).orElse(backoff);
            wait = wait.compareTo(MAX_RETRY_WAIT) > 0 ? MAX_RETRY_WAIT : wait;
            backoff = backoff.multipliedBy(2);
            log.warn("{}: Kubernetes API answered {} {}; retrying in {} ms ({} of {})", what, code, message(response),
                    wait.toMillis(), attempt + 1, RETRIES);
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return checked(what, response);
            }
        }
    }

    private static boolean retryable(int code) {
        return code == 429 || code >= 500;
    }

    private static Optional<Duration> retryAfter(V1Status status) {
        if (status == null || status.getDetails() == null || status.getDetails().getRetryAfterSeconds() == null
                || status.getDetails().getRetryAfterSeconds() <= 0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofSeconds(status.getDetails().getRetryAfterSeconds()));
    }

    /**
     * Runs one API call. Returns its response whatever the HTTP status; throws only when there was
     * no answer at all (connection refused, timeout), the server failed (5xx) or was too busy (429).
     */
    public static <T extends KubernetesType> KubernetesApiResponse<T> call(String what,
            Supplier<KubernetesApiResponse<T>> call) throws ApiUnavailableException {
        return checked(what, answer(what, call));
    }

    private static <T extends KubernetesType> KubernetesApiResponse<T> answer(String what,
            Supplier<KubernetesApiResponse<T>> call) throws ApiUnavailableException {
        try {
            return call.get();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ApiUnavailableException(what + ": Kubernetes API unreachable (" + cause + ")", e);
        }
    }

    private static <T extends KubernetesType> KubernetesApiResponse<T> checked(String what,
            KubernetesApiResponse<T> response) throws ApiUnavailableException {
        int code = response.getHttpStatusCode();
        if (code >= 500 || code == 0 || code == 429) {
            throw new ApiUnavailableException(what + ": Kubernetes API error " + code + " " + message(response), null);
        }
        return response;
    }

    public static String message(KubernetesApiResponse<?> response) {
        return response.getStatus() == null ? "" : String.valueOf(response.getStatus().getMessage()).trim();
    }
}
