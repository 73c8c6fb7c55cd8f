package dev.calicorr.core.kube;

import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import okhttp3.Interceptor;
import okhttp3.Response;

/**
 * The {@code Retry-After} header of the last answer on this thread. The apiserver's priority and
 * fairness sends its 429 as plain text with only that header (no Status with
 * {@code retryAfterSeconds}), and client-java's responses keep no headers; an interceptor on the
 * client's own thread notes it for {@link Responses#callRetrying}.
 */
public final class RetryAfter {
    private static final ThreadLocal<Duration> LAST = new ThreadLocal<>();

    private RetryAfter() {
    }

    /**
     * Notes the header of every answer {@code client} gets (synchronous calls run on the caller's
     * thread). Once per client, however often it is called.
     */
    public static void install(ApiClient client) {
        if (client.getHttpClient().interceptors().stream().noneMatch(Noting.class::isInstance)) {
            client.setHttpClient(client.getHttpClient().newBuilder().addInterceptor(new Noting()).build());
        }
    }

    private static final class Noting implements Interceptor {
        @Override
        public Response intercept(Chain chain) throws IOException {
            LAST.remove();
            Response response = chain.proceed(chain.request());
            LAST.set(seconds(response.header("Retry-After")));
            return response;
        }
    }

    /** The wait the last answer on this thread asked for, if it asked in seconds. */
    static Optional<Duration> lastAnswer() {
        return Optional.ofNullable(LAST.get());
    }

    private static Duration seconds(String header) {
        if (header == null) {
            return null;
        }
        try {
            long seconds = Long.parseLong(header.trim());
            return seconds > 0 ? Duration.ofSeconds(seconds) : null;
        } catch (NumberFormatException e) {
            return null; // an HTTP date: the apiserver does not send one
        }
    }
}
