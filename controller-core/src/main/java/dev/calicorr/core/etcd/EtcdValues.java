package dev.calicorr.core.etcd;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.JSON;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

/** Values as libcalico-go stores them in etcd (see {@link EtcdKeys}), and merge patches of them. */
public final class EtcdValues {
    /** client-java's Gson: the same decoding of metadata (times, quantities) as for the Kubernetes API. */
    public static final Gson GSON = JSON.getGson();

    private EtcdValues() {
    }

    /** Our object as libcalico-go stores it: v3 apiVersion, no resourceVersion, a uid and creation time. */
    public static JsonObject encode(KubernetesObject object) {
        JsonObject json = GSON.toJsonTree(object).getAsJsonObject();
        json.addProperty("apiVersion", EtcdKeys.API_VERSION);
        JsonObject metadata = json.getAsJsonObject("metadata");
        metadata.remove("resourceVersion");
        if (!metadata.has("uid")) {
            metadata.addProperty("uid", UUID.randomUUID().toString());
        }
        if (!metadata.has("creationTimestamp")) {
            metadata.addProperty("creationTimestamp", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS)
                    .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        }
        return json;
    }

    /** RFC 7386: objects merge key by key, null removes, anything else replaces. */
    public static JsonElement mergePatch(JsonElement target, JsonElement patch) {
        if (!patch.isJsonObject()) {
            return patch;
        }
        JsonObject result = target != null && target.isJsonObject() ? target.getAsJsonObject().deepCopy() : new JsonObject();
        for (Map.Entry<String, JsonElement> entry : patch.getAsJsonObject().entrySet()) {
            if (entry.getValue().isJsonNull()) {
                result.remove(entry.getKey());
            } else {
                result.add(entry.getKey(), mergePatch(result.get(entry.getKey()), entry.getValue()));
            }
        }
        return result;
    }
}
