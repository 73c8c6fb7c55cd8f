package dev.calicorr.routereflector.datastore;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.core.etcd.EtcdValues;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.model.Names;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.ArrayList;
import java.util.List;
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

    private static KeyValue status(String name, long revision, String lastUpdated) {
        String json = "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"CalicoNodeStatus\",\"metadata\":{\"name\":\""
                + name + "\",\"labels\":{\"" + Names.MANAGED_BY_LABEL + "\":\"" + Names.CONTROLLER_NAME + "\"}},"
                + "\"spec\":{\"node\":\"n\",\"classes\":[\"BGP\"],\"updatePeriodSeconds\":10},\"status\":{\"lastUpdated\":\""
                + lastUpdated + "\"}}";
        return new KeyValue(io.etcd.jetcd.api.KeyValue.newBuilder()
                .setKey(ByteString.copyFromUtf8(EtcdKeys.key(CalicoNodeStatus.PLURAL, name)))
                .setValue(ByteString.copyFromUtf8(json)).setModRevision(revision).build(), ByteSequence.EMPTY);
    }

    /** What an informer's handler would be told, and the transform applied before anything is cached. */
    @Test
    void aListenerIsToldOfEachChangeAsByAnInformerAndTheCacheHoldsTransformedObjects() {
        EtcdResources<CalicoNodeStatus> statuses = new EtcdResources<>(new EtcdKv(null), CalicoNodeStatus.class,
                CalicoNodeStatus.PLURAL);
        List<String> told = new ArrayList<>();
        statuses.listen(object -> {
            ((CalicoNodeStatus) object).getMetadata().putAnnotationsItem("transformed", "yes");
            return object;
        }, new ResourceEventHandler<>() {
            @Override
            public void onAdd(CalicoNodeStatus obj) {
                told.add("add " + obj.getMetadata().getName() + "@" + obj.getMetadata().getResourceVersion());
            }

            @Override
            public void onUpdate(CalicoNodeStatus oldObj, CalicoNodeStatus newObj) {
                told.add("update " + newObj.getMetadata().getName() + " " + oldObj.getMetadata().getResourceVersion()
                        + "->" + newObj.getMetadata().getResourceVersion());
            }

            @Override
            public void onDelete(CalicoNodeStatus obj, boolean deletedFinalStateUnknown) {
                told.add("delete " + obj.getMetadata().getName());
            }
        });
        statuses.replace(List.of(status("a", 5, "t1"), status("b", 6, "t1")));
        statuses.stored(status("a", 7, "t2"));
        statuses.stored(status("c", 8, "t1"));
        statuses.removed(EtcdKeys.key(CalicoNodeStatus.PLURAL, "b"));
        statuses.replace(List.of(status("a", 9, "t3"), status("d", 10, "t1"))); // a relist after a compaction
        assertThat(told).containsExactly("add a@5", "add b@6", "update a 5->7", "add c@8", "delete b",
                "update a 7->9", "add d@10", "delete c");
        assertThat(statuses.cache().listKeys()).containsExactlyInAnyOrder("a", "d");
        assertThat(statuses.cache().getByKey("a").getStatus().getLastUpdated()).isEqualTo("t3");
        assertThat(statuses.cache().getByKey("a").getMetadata().getAnnotations()).containsEntry("transformed", "yes");
    }
}
