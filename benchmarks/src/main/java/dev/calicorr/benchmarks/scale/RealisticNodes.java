package dev.calicorr.benchmarks.scale;

import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.PatchUtils;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Node objects the size of a real cluster's (about 15 KB of JSON each): the labels and
 * annotations a kubelet, a cloud provider and Calico set, and a status as a kubelet writes it
 * (five conditions with messages, addresses, capacity, node info, 50 container images), written
 * as the kubelet would, so the apiserver adds the managedFields of two field managers. The
 * controller's informer keeps only what NodeFacts needs of it; the LIST brings all of it.
 */
final class RealisticNodes {
    private static final int IMAGES = 50;

    private final CoreV1Api api;
    private final ApiClient client;

    RealisticNodes(ApiClient admin) {
        this.client = admin;
        this.api = new CoreV1Api(admin);
    }

    /** Creates {@code count} Ready nodes {@code prefix-<i>}, spread round-robin over the zones (8 threads). */
    void createMany(String prefix, int count, List<String> zones) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> created = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String name = String.format("%s-%03d", prefix, i);
                String zone = zones.get(i % zones.size());
                int index = i;
                created.add(pool.submit(() -> {
                    create(name, zone, index);
                    return null;
                }));
            }
            for (Future<?> future : created) {
                future.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    /** The size of one node as the apiserver serves it (JSON, managedFields included). */
    int jsonBytes(String name) throws ApiException {
        V1Node node = api.readNode(name).execute();
        return client.getJSON().serialize(node).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    private void create(String name, String zone, int index) throws ApiException {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("beta.kubernetes.io/arch", "amd64");
        labels.put("beta.kubernetes.io/instance-type", "m5.2xlarge");
        labels.put("beta.kubernetes.io/os", "linux");
        labels.put("eks.amazonaws.com/capacityType", "ON_DEMAND");
        labels.put("eks.amazonaws.com/nodegroup", "workers-" + (index % 4));
        labels.put("eks.amazonaws.com/nodegroup-image", "ami-0123456789abcdef0");
        labels.put("failure-domain.beta.kubernetes.io/region", "eu-west-1");
        labels.put("failure-domain.beta.kubernetes.io/zone", zone);
        labels.put("k8s.io/cloud-provider-aws", "0123456789abcdef0123456789abcdef");
        labels.put("kubernetes.io/arch", "amd64");
        labels.put(SimulatedNodes.HOSTNAME_LABEL, name);
        labels.put("kubernetes.io/os", "linux");
        labels.put("node.kubernetes.io/instance-type", "m5.2xlarge");
        labels.put("topology.ebs.csi.aws.com/zone", zone);
        labels.put("topology.kubernetes.io/region", "eu-west-1");
        labels.put(SimulatedNodes.ZONE_LABEL, zone);
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("alpha.kubernetes.io/provided-node-ip", address(index));
        annotations.put("csi.volume.kubernetes.io/nodeid", "{\"ebs.csi.aws.com\":\"i-0" + String.format("%016x", index) + "\"}");
        annotations.put("node.alpha.kubernetes.io/ttl", "0");
        annotations.put("projectcalico.org/IPv4Address", address(index) + "/19");
        annotations.put("projectcalico.org/IPv4IPIPTunnelAddr", "10.244." + (index / 256 % 256) + "." + (index % 256));
        annotations.put("volumes.kubernetes.io/controller-managed-attach-detach", "true");
        V1Node node = new V1Node().metadata(new V1ObjectMeta().name(name).labels(labels).annotations(annotations))
                .spec(new V1NodeSpec().providerID("aws:///" + zone + "/i-0" + String.format("%016x", index)));
        api.createNode(node).fieldManager("kubelet").execute();
        PatchUtils.patch(V1Node.class, () -> api.patchNodeStatus(name, new V1Patch(status(name, index)))
                .fieldManager("kubelet").buildCall(null), V1Patch.PATCH_FORMAT_STRATEGIC_MERGE_PATCH, client);
    }

    private static String address(int index) {
        return "10.0." + (index / 256 % 256) + "." + (index % 256);
    }

    /** The status a kubelet reports, as a strategic merge patch. */
    private static String status(String name, int index) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        StringBuilder json = new StringBuilder("{\"status\":{\"conditions\":[");
        String[][] conditions = {
            {"MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
            {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
            {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
            {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
            {"NetworkUnavailable", "False", "CalicoIsUp", "Calico is running on this node"},
        };
        for (int i = 0; i < conditions.length; i++) {
            json.append(i == 0 ? "" : ",").append("{\"type\":\"").append(conditions[i][0]).append("\",\"status\":\"")
                    .append(conditions[i][1]).append("\",\"reason\":\"").append(conditions[i][2])
                    .append("\",\"message\":\"").append(conditions[i][3]).append("\",\"lastHeartbeatTime\":\"")
                    .append(now).append("\",\"lastTransitionTime\":\"").append(now).append("\"}");
        }
        json.append("],\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"").append(address(index))
                .append("\"},{\"type\":\"Hostname\",\"address\":\"").append(name)
                .append("\"},{\"type\":\"InternalDNS\",\"address\":\"ip-").append(address(index).replace('.', '-'))
                .append(".eu-west-1.compute.internal\"}]");
        String resources = "{\"cpu\":\"8\",\"ephemeral-storage\":\"104845292Ki\",\"hugepages-1Gi\":\"0\","
                + "\"hugepages-2Mi\":\"0\",\"memory\":\"32386544Ki\",\"pods\":\"58\"}";
        json.append(",\"capacity\":").append(resources).append(",\"allocatable\":").append(resources)
                .append(",\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10250}}")
                .append(",\"nodeInfo\":{\"architecture\":\"amd64\",\"bootID\":\"").append(uuid(index, 1))
                .append("\",\"containerRuntimeVersion\":\"containerd://1.7.27\",\"kernelVersion\":\"6.1.141-155.222.amzn2023.x86_64\",")
                .append("\"kubeProxyVersion\":\"v1.34.4\",\"kubeletVersion\":\"v1.34.4\",\"machineID\":\"")
                .append(uuid(index, 2).replace("-", "")).append("\",\"operatingSystem\":\"linux\",")
                .append("\"osImage\":\"Amazon Linux 2023.8.20250818\",\"systemUUID\":\"").append(uuid(index, 3))
                .append("\"},\"images\":[");
        for (int i = 0; i < IMAGES; i++) {
            String repository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-" + (i % 7) + "/service-" + i;
            json.append(i == 0 ? "" : ",").append("{\"names\":[\"").append(repository).append("@sha256:")
                    .append(digest(index, i)).append("\",\"").append(repository).append(":v1.").append(i).append(".")
                    .append(index % 10).append("\"],\"sizeBytes\":").append(10_000_000L + 1_000_003L * i).append("}");
        }
        return json.append("]}}").toString();
    }

    private static String uuid(int index, int salt) {
        String hex = String.format("%032x", (long) index * 2654435761L + salt);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20, 32);
    }

    private static String digest(int index, int image) {
        StringBuilder hex = new StringBuilder();
        long seed = (long) index * 31 + image;
        while (hex.length() < 64) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            hex.append(String.format("%016x", seed));
        }
        return hex.substring(0, 64);
    }
}
