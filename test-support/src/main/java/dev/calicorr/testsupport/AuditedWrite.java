package dev.calicorr.testsupport;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Instant;

/**
 * One write by the controller's identity as the apiserver's audit log records it: the count of
 * writes seen from the server's side, not from our own counters.
 *
 * @param resource e.g. {@code nodes}, {@code bgppeers}, {@code leases}
 * @param name     the object's name ({@code null} for a create that names it in the body)
 * @param code     the HTTP status the apiserver answered
 * @param dryRun   a server-side dry run ({@code dryRun=All}): admitted or not, nothing was stored
 */
public record AuditedWrite(Instant at, String verb, String resource, String subresource, String name, int code,
        boolean dryRun) {

    static AuditedWrite parse(String line) {
        JsonObject event = JsonParser.parseString(line).getAsJsonObject();
        JsonObject ref = event.has("objectRef") ? event.getAsJsonObject("objectRef") : new JsonObject();
        return new AuditedWrite(Instant.parse(event.get("stageTimestamp").getAsString()),
                event.get("verb").getAsString(), text(ref, "resource"), text(ref, "subresource"), text(ref, "name"),
                event.has("responseStatus") ? event.getAsJsonObject("responseStatus").get("code").getAsInt() : 0,
                event.has("requestURI") && event.get("requestURI").getAsString().contains("dryRun=All"));
    }

    private static String text(JsonObject object, String key) {
        return object.has(key) ? object.get(key).getAsString() : null;
    }
}
