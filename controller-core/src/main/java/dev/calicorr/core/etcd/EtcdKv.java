package dev.calicorr.core.etcd;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kubernetes.client.common.KubernetesType;
import io.kubernetes.client.openapi.models.V1Status;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * Reads and conditional writes of single keys, as libcalico-go's etcdv3 backend does them: a
 * create succeeds only while the key has no version, an update or delete only while the key's mod
 * revision is the one read (a transaction, never a blind put). Answers as Kubernetes API responses.
 */
public final class EtcdKv {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Read-modify-write rounds before a key that keeps changing under us counts as a conflict. */
    private static final int ATTEMPTS = 5;

    private final Client client;

    public EtcdKv(Client client) {
        this.client = client;
    }

    /**
     * A call etcd did not carry out: refused (no permission, not authenticated: 403) or not answered
     * (down, unreachable, timed out: 503).
     */
    public static final class CallFailedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int httpCode;

        CallFailedException(int httpCode, String message, Throwable cause) {
            super(message, cause);
            this.httpCode = httpCode;
        }

        public int httpCode() {
            return httpCode;
        }
    }

    /** A stored value: its JSON and mod revision. */
    public record Stored(JsonObject json, long modRevision) {
        public static Stored of(KeyValue kv) {
            JsonElement parsed = JsonParser.parseString(kv.getValue().toString(StandardCharsets.UTF_8));
            if (!parsed.isJsonObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            return new Stored(parsed.getAsJsonObject(), kv.getModRevision());
        }
    }

    /** How a written value becomes the caller's object. */
    public interface Decoder<T> {
        T decode(JsonObject json, long modRevision);
    }

    public static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    public Optional<KeyValue> get(String key) throws CallFailedException {
        GetResponse response = await(client.getKVClient().get(bytes(key)), "reading " + key);
        return response.getKvs().stream().findFirst();
    }

    public GetResponse list(String prefix) throws CallFailedException {
        return await(client.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build()),
                "listing " + prefix);
    }

    /** How many keys there are under {@code prefix} (no values are read). */
    public long count(String prefix) throws CallFailedException {
        return await(client.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true)
                .build()), "counting " + prefix).getCount();
    }

    /** Puts {@code json} only while the key does not exist; 409 when it does. */
    public <T extends KubernetesType> KubernetesApiResponse<T> create(String key, JsonObject json, Decoder<T> decoder) {
        try {
            TxnResponse txn = putIfAbsent(key, json);
            if (!txn.isSucceeded()) {
                return failure(409, "AlreadyExists", key + " exists");
            }
            return new KubernetesApiResponse<>(decoder.decode(json, txn.getHeader().getRevision()));
        } catch (CallFailedException e) {
            return failed(e);
        }
    }

    /**
     * {@link #create} of a value that carries its own mod revision as its
     * {@code metadata.resourceVersion}, for a reader that updates the value as it was stored: in etcd,
     * libcalico-go's watch gives a value without the revision (its client adds it on reads), and
     * calico-node's status reporter updates that value, which its client refuses without one; nor
     * does the reporter take a later value of the same spec. So the first write must carry it: the
     * revision after the latest one etcd answered with, which holds only while nothing else writes to
     * etcd in between. When something did, the key is deleted again (a reader keeps no stale value).
     *
     * @return as {@link #create}; 409 and {@link Created#raced()} when another write came between
     */
    public <T extends KubernetesType> Created<T> createWithOwnRevision(String key, JsonObject json, Decoder<T> decoder) {
        try {
            long latest = await(client.getKVClient().get(bytes(key), GetOption.builder().withCountOnly(true).build()),
                    "reading the revision for " + key).getHeader().getRevision();
            JsonObject stamped = json.deepCopy();
            stamped.getAsJsonObject("metadata").addProperty("resourceVersion", Long.toString(latest + 1));
            TxnResponse created = putIfAbsent(key, stamped);
            if (!created.isSucceeded()) {
                return new Created<>(failure(409, "AlreadyExists", key + " exists"), false);
            }
            long modRevision = created.getHeader().getRevision();
            if (modRevision == latest + 1) {
                return new Created<>(new KubernetesApiResponse<>(decoder.decode(stamped, modRevision)), false);
            }
            await(client.getKVClient().txn()
                    .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)))
                    .Then(Op.delete(bytes(key), DeleteOption.DEFAULT))
                    .commit(), "deleting " + key + " again");
            return new Created<>(failure(409, "Conflict", key + ": another write to etcd came before it"), true);
        } catch (CallFailedException e) {
            return new Created<>(failed(e), false);
        }
    }

    /** A create's answer, and whether it was taken back because another write came between (its value named a revision it did not get). */
    public record Created<T extends KubernetesType>(KubernetesApiResponse<T> response, boolean raced) {
    }

    private TxnResponse putIfAbsent(String key, JsonObject json) throws CallFailedException {
        return await(client.getKVClient().txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0)))
                .Then(Op.put(bytes(key), bytes(json.toString()), PutOption.DEFAULT))
                .commit(), "creating " + key);
    }

    /**
     * Reads the key, changes its value and writes it back only while its mod revision is the one
     * read; a value changed meanwhile is read again and changed again. 404 when there is none.
     */
    public <T extends KubernetesType> KubernetesApiResponse<T> update(String key, UnaryOperator<JsonObject> change,
            Decoder<T> decoder) {
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                Optional<KeyValue> current = get(key);
                if (current.isEmpty()) {
                    return failure(404, "NotFound", key + " does not exist");
                }
                Stored stored;
                try {
                    stored = Stored.of(current.get());
                } catch (RuntimeException e) {
                    return failure(422, "Invalid", key + " holds no JSON object; left as it is: " + e.getMessage());
                }
                JsonObject changed = change.apply(stored.json().deepCopy());
                TxnResponse txn = await(client.getKVClient().txn()
                        .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(stored.modRevision())))
                        .Then(Op.put(bytes(key), bytes(changed.toString()), PutOption.DEFAULT))
                        .commit(), "updating " + key);
                if (txn.isSucceeded()) {
                    return new KubernetesApiResponse<>(decoder.decode(changed, txn.getHeader().getRevision()));
                }
            }
            return failure(409, "Conflict", key + " changed under each of " + ATTEMPTS + " writes");
        } catch (CallFailedException e) {
            return failed(e);
        }
    }

    /** Deletes the key as it is now (conditional on its mod revision); 404 when there is none. */
    public <T extends KubernetesType> KubernetesApiResponse<T> delete(String key) {
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                Optional<KeyValue> current = get(key);
                if (current.isEmpty()) {
                    return failure(404, "NotFound", key + " does not exist");
                }
                TxnResponse txn = await(client.getKVClient().txn()
                        .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(current.get().getModRevision())))
                        .Then(Op.delete(bytes(key), DeleteOption.DEFAULT))
                        .commit(), "deleting " + key);
                if (txn.isSucceeded()) {
                    T gone = null; // as client-java answers a delete: success, no object needed
                    return new KubernetesApiResponse<>(gone);
                }
            }
            return failure(409, "Conflict", key + " changed under each of " + ATTEMPTS + " deletes");
        } catch (CallFailedException e) {
            return failed(e);
        }
    }

    public static <T> T await(CompletableFuture<T> future, String what) throws CallFailedException {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new CallFailedException(refused(e.getCause()) ? 403 : 503, "etcd: " + what + ": " + e.getCause(),
                    e.getCause());
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new CallFailedException(503, "etcd: " + what + ": no answer within " + TIMEOUT.toSeconds() + "s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallFailedException(503, "etcd: " + what + ": interrupted", e);
        }
    }

    /** etcd refused the call (no permission, not authenticated), whichever layer of jetcd reports it. */
    private static boolean refused(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof EtcdException etcd && (etcd.getErrorCode() == ErrorCode.PERMISSION_DENIED
                    || etcd.getErrorCode() == ErrorCode.UNAUTHENTICATED)) {
                return true;
            }
            if (cause instanceof StatusRuntimeException status
                    && (status.getStatus().getCode() == Status.Code.PERMISSION_DENIED
                    || status.getStatus().getCode() == Status.Code.UNAUTHENTICATED)) {
                return true;
            }
        }
        return false;
    }

    public static <T extends KubernetesType> KubernetesApiResponse<T> failure(int code, String reason, String message) {
        return new KubernetesApiResponse<>(new V1Status().code(code).reason(reason).message(message), code);
    }

    /** 503: the caller retries, then backs off as after an API outage; 403: it is told it may not. */
    public static <T extends KubernetesType> KubernetesApiResponse<T> failed(CallFailedException e) {
        return failure(e.httpCode(), e.httpCode() == 403 ? "Forbidden" : "ServiceUnavailable", e.getMessage());
    }
}
