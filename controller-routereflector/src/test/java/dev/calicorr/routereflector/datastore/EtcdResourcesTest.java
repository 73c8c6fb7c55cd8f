package dev.calicorr.routereflector.datastore;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.calicorr.core.etcd.EtcdValues;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.model.Names;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EtcdResourcesTest {

    @Test
    void aMergePatchKeepsWhatItDoesNotNameRemovesNullsAndReplacesTheRest() {
        JsonObject stored = JsonParser.parseString("{\"metadata\":{\"name\":\"n\",\"uid\":\"u\",\"labels\":{\"a\":\"1\","
                + "\"b\":\"2\"}},\"spec\":{\"bgp\":{\"ipv4Address\":\"198.18.0.1/32\"},\"orchRefs\":[{\"nodeName\":\"n\"}]}}")
                .getAsJsonObject();
        JsonObject patch = JsonParser.parseString("{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\"}},"
                + "\"spec\":{\"bgp\":{\"routeReflectorClusterID\":\"224.0.0.1\"}}}").getAsJsonObject();
        assertThat(EtcdValues.mergePatch(stored, patch)).isEqualTo(JsonParser.parseString(
                "{\"metadata\":{\"name\":\"n\",\"uid\":\"u\",\"labels\":{\"b\":\"2\",\"c\":\"3\"}},\"spec\":{\"bgp\":"
                        + "{\"ipv4Address\":\"198.18.0.1/32\",\"routeReflectorClusterID\":\"224.0.0.1\"},"
                        + "\"orchRefs\":[{\"nodeName\":\"n\"}]}}"));
        assertThat(stored.getAsJsonObject("metadata").getAsJsonObject("labels").has("a")).as("the input is not changed")
                .isTrue();
    }

    @Test
    void aCreatedPeerIsStoredAsLibcalicoGoStoresIt() {
        BgpPeer peer = new BgpPeer(new V1ObjectMeta().name("rrc-mesh").resourceVersion("17")
                .labels(Map.of(Names.MANAGED_BY_LABEL, Names.CONTROLLER_NAME)),
                new BgpPeer.Spec("has(calico-route-reflector)", "has(calico-route-reflector)"));
        JsonObject stored = EtcdValues.encode(peer);
        assertThat(stored.get("apiVersion").getAsString()).isEqualTo("projectcalico.org/v3");
        assertThat(stored.get("kind").getAsString()).isEqualTo("BGPPeer");
        JsonObject metadata = stored.getAsJsonObject("metadata");
        assertThat(metadata.has("resourceVersion")).isFalse();
        assertThat(metadata.get("uid").getAsString()).matches("[0-9a-f-]{36}");
        assertThat(metadata.get("creationTimestamp").getAsString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(stored.getAsJsonObject("spec").get("peerSelector").getAsString()).isEqualTo("has(calico-route-reflector)");
    }
}
