package dev.calicorr.routereflector.datastore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.config.EtcdSettings;
import dev.calicorr.core.etcd.EtcdClients;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code ETCD_USERNAME} / {@code ETCD_PASSWORD}: etcd's own authentication, beside the client certificate. */
@RealControlPlane
class EtcdLoginIT {

    @Test
    void theLoginOfCalicosVariablesIsWhatEtcdAuthorises(ControlPlane cp) throws Exception {
        try (CalicoEtcd etcd = CalicoEtcd.start(cp)) {
            Map<String, String> env = new HashMap<>(etcd.environment());
            try (Client admin = EtcdClients.connect(EtcdSettings.fromEnvironment(env).orElseThrow())) {
                Auth auth = admin.getAuthClient();
                ByteSequence root = EtcdKv.bytes("root");
                auth.roleAdd(root).get();
                auth.userAdd(root, EtcdKv.bytes("root-password")).get();
                auth.userGrantRole(root, root).get();
                // what Calico's etcd guide grants calico-kube-controllers: its prefix, read and write
                ByteSequence role = EtcdKv.bytes("calico");
                auth.roleAdd(role).get();
                auth.roleGrantPermission(role, EtcdKv.bytes("/calico/"), EtcdKv.bytes("/calico0"),
                        Permission.Type.READWRITE).get();
                auth.userAdd(EtcdKv.bytes("calico"), EtcdKv.bytes("calico-password")).get();
                auth.userGrantRole(EtcdKv.bytes("calico"), role).get();
                auth.authEnable().get();
            }

            // the client certificate alone (CN=client, no such user) may not read Calico's keys any more
            try (Client anonymous = EtcdClients.connect(EtcdSettings.fromEnvironment(env).orElseThrow())) {
                KubernetesApiResponse<BgpPeer> refused = new EtcdResources<>(new EtcdKv(anonymous), BgpPeer.class,
                        "bgppeers").get("any");
                assertThat(refused.getHttpStatusCode()).as("%s", refused.getStatus()).isEqualTo(403);
                assertThat(refused.getStatus().getMessage()).contains("permission denied");
            }
            env.put(EtcdSettings.ENV_USERNAME, "calico");
            env.put(EtcdSettings.ENV_PASSWORD, "calico-password");
            try (Client calico = EtcdClients.connect(EtcdSettings.fromEnvironment(env).orElseThrow())) {
                KubernetesApiResponse<BgpPeer> missing = new EtcdResources<>(
                        new EtcdKv(calico), BgpPeer.class, "bgppeers").get("any");
                assertThat(missing.getHttpStatusCode()).as("%s", missing.getStatus()).isEqualTo(404);
            }
        }
    }
}
