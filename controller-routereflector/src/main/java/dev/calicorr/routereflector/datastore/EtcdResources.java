package dev.calicorr.routereflector.datastore;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.core.etcd.EtcdValues;
import dev.calicorr.core.etcd.EtcdWatch;
import io.etcd.jetcd.KeyValue;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.informer.cache.Cache;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kind of cluster-scoped Calico resource in etcd: a cache kept by an {@link EtcdWatch} of its
 * prefix, and its conditional writes. Values are stored as libcalico-go stores them (see
 * {@link EtcdKeys}); a create adds the {@code uid} and {@code creationTimestamp} libcalico-go's
 * client adds. A value that does not decode is skipped with one warning and never overwritten.
 */
final class EtcdResources<T extends KubernetesObject> implements CalicoStore<T>, EtcdWatch.Sink {
    private static final Logger log = LoggerFactory.getLogger(EtcdResources.class);

    private final EtcdKv kv;
    private final Class<T> type;
    private final String plural;
    private final Cache<T> cache = new Cache<>();
    private final Set<String> undecodable = new HashSet<>();
    /** Like an informer's: applied to each object before it is cached, and told of each change. */
    private TransformFunc transform = object -> object;
    private ResourceEventHandler<T> handler;

    EtcdResources(EtcdKv kv, Class<T> type, String plural) {
        this.kv = kv;
        this.type = type;
        this.plural = plural;
    }

    /** Before the watch starts: the transform and the handler of every change, as an informer has them. */
    void listen(TransformFunc transform, ResourceEventHandler<T> handler) {
        this.transform = transform == null ? object -> object : transform;
        this.handler = handler;
    }

    String prefix() {
        return EtcdKeys.prefix(plural);
    }

    Indexer<T> cache() {
        return cache;
    }

    /** The stored JSON as our type, with the key's mod revision as its resource version. */
    T decode(JsonObject json, long modRevision) {
        T object = EtcdValues.GSON.fromJson(json, type);
        object.getMetadata().setResourceVersion(Long.toString(modRevision));
        return object;
    }

    @Override
    public KubernetesApiResponse<T> get(String name) {
        try {
            return kv.get(EtcdKeys.key(plural, name))
                    .map(found -> {
                        EtcdKv.Stored stored = EtcdKv.Stored.of(found);
                        return new KubernetesApiResponse<>(decode(stored.json(), stored.modRevision()));
                    })
                    .orElseGet(() -> EtcdKv.failure(404, "NotFound", plural + "/" + name + " does not exist"));
        } catch (EtcdKv.CallFailedException e) {
            return EtcdKv.failed(e);
        }
    }

    @Override
    public KubernetesApiResponse<T> create(T object) {
        return kv.create(EtcdKeys.key(plural, object.getMetadata().getName()), EtcdValues.encode(object), this::decode);
    }

    /** {@link #create}, the value carrying its own mod revision ({@link EtcdKv#createWithOwnRevision}). */
    EtcdKv.Created<T> createWithOwnRevision(T object) {
        return kv.createWithOwnRevision(EtcdKeys.key(plural, object.getMetadata().getName()), EtcdValues.encode(object),
                this::decode);
    }

    @Override
    public KubernetesApiResponse<T> mergePatch(String name, String patch) {
        JsonElement parsed = com.google.gson.JsonParser.parseString(patch);
        return kv.update(EtcdKeys.key(plural, name), json -> {
            JsonObject merged = EtcdValues.mergePatch(json, parsed).getAsJsonObject();
            merged.getAsJsonObject("metadata").remove("resourceVersion");
            return merged;
        }, this::decode);
    }

    @Override
    public KubernetesApiResponse<T> delete(String name) {
        return kv.delete(EtcdKeys.key(plural, name));
    }

    @Override
    public void replace(List<KeyValue> kvs) {
        List<T> objects = new ArrayList<>();
        for (KeyValue value : kvs) {
            T object = read(value);
            if (object != null) {
                objects.add(object);
            }
        }
        List<T> before = cache.list();
        cache.replace(objects, "");
        if (handler != null) { // a relist reads like an informer's: an add or update of each, a delete of what went
            Map<String, T> previous = new HashMap<>();
            before.forEach(object -> previous.put(object.getMetadata().getName(), object));
            for (T object : objects) {
                T old = previous.remove(object.getMetadata().getName());
                if (old == null) {
                    handler.onAdd(object);
                } else {
                    handler.onUpdate(old, object);
                }
            }
            previous.values().forEach(gone -> handler.onDelete(gone, false));
        }
    }

    @Override
    public void stored(KeyValue value) {
        T object = read(value);
        if (object == null) {
            return;
        }
        T old = cache.getByKey(object.getMetadata().getName());
        if (old == null) {
            cache.add(object);
        } else {
            cache.update(object);
        }
        if (handler != null) {
            if (old == null) {
                handler.onAdd(object);
            } else {
                handler.onUpdate(old, object);
            }
        }
    }

    @Override
    public void removed(String key) {
        T cached = cache.getByKey(key.substring(prefix().length()));
        if (cached != null) {
            cache.delete(cached);
            if (handler != null) {
                handler.onDelete(cached, false);
            }
        }
        undecodable.remove(key);
    }

    private T read(KeyValue value) {
        String key = value.getKey().toString(StandardCharsets.UTF_8);
        try {
            EtcdKv.Stored stored = EtcdKv.Stored.of(value);
            T object = decode(stored.json(), stored.modRevision());
            if (object.getMetadata() == null || !key.equals(EtcdKeys.key(plural, object.getMetadata().getName()))) {
                throw new IllegalArgumentException("metadata.name does not match the key");
            }
            undecodable.remove(key);
            return type.cast(transform.transform(object));
        } catch (RuntimeException e) {
            if (undecodable.add(key)) {
                log.warn("{} does not hold a Calico {} we can read ({}); it is skipped and left as it is", key, plural,
                        e.getMessage());
            }
            return null;
        }
    }
}
