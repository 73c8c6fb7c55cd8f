package dev.calicorr.routereflector.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.calicorr.core.config.ConfigValues;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.PlanSummary;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a plan amounts to once applied, as the plan command prints it (table, YAML or JSON). Built
 * from the cluster the plan's steps leave behind and the plan's BGPPeers, so the route reflectors
 * and sessions shown are what calico-node would make of them, whatever the topology.
 *
 * @param source  where the nodes came from
 * @param nodes   counts over all nodes; reflectors and clients after the plan
 * @param zones   per zone, sorted by name
 * @param reflectors every node with a cluster ID after the plan, by zone then cluster ID
 * @param sessionsPerReflector over the serving route reflectors (not draining or foreign ones); null without
 * @param sessionsPerClient    null without clients
 * @param peerings who has sessions with whom (the pictures of {@code -o dot} and {@code -o mermaid})
 * @param warnings the planner's, then what the input and the sessions show
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PlanReport(String source, Config config, Nodes nodes, List<Zone> zones, List<Reflector> reflectors,
        Range sessionsPerReflector, ClientSessions sessionsPerClient, Peers bgpPeers, Totals sessions,
        Peerings peerings, List<String> warnings, Changes changes) {

    /** @param source where the section came from, and the flags applied on top */
    public record Config(String source, String topology, Map<String, Object> effective) {
    }

    public record Nodes(int total, int ready, int eligible, int reflectors, int clients) {
    }

    /** @param desiredReflectors the planner's target; @param reflectors serving after the plan */
    public record Zone(String zone, int nodes, int eligible, int desiredReflectors, int reflectors) {
    }

    /**
     * @param state {@code serving} (a target RR), {@code draining} (obsolete, serving until its
     *              replacements have served removalDelay) or {@code foreign} (a cluster ID we did not give)
     */
    public record Reflector(String name, String zone, String clusterId, String state, int sessions,
            int clientSessions, int reflectorSessions) {
    }

    public record Range(int min, double avg, int max) {
    }

    /** @param distribution how many clients have how many sessions */
    public record ClientSessions(int min, double avg, int max, List<Count> distribution) {
    }

    public record Count(int sessions, int clients) {
    }

    public record Peers(int count, List<PeerFacts> items) {
    }

    /**
     * Who peers with whom, from the counted sessions, whatever the topology.
     *
     * @param reflectorSessions the sessions between route reflectors, in the order of {@code reflectors}
     * @param clientGroups      the Ready clients grouped by zone and the route reflectors they have
     *                          sessions with: a multi group, the clients of a quorum or of a rack
     */
    public record Peerings(List<Link> reflectorSessions, List<ClientGroup> clientGroups) {
    }

    public record Link(String from, String to) {
    }

    /**
     * @param rack       the rack ({@code rackLabel}) of every client of the group; null when they are in none or several
     * @param reflectors the route reflectors each client has a session with, in the order of {@code reflectors}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ClientGroup(String zone, String rack, int clients, List<String> reflectors) {
    }

    /**
     * @param nodes          the Ready nodes the sessions are counted over
     * @param total          BGP sessions the plan's BGPPeers give them (node-to-node mesh off)
     * @param fullMesh       sessions of a full mesh of the same nodes, N(N-1)/2
     * @param avoidedPercent of the full mesh
     */
    public record Totals(int nodes, long total, long fullMesh, long avoided, double avoidedPercent) {
    }

    /**
     * @param writes       API writes from the observed state to the plan's
     * @param nodeWrites   of them, node patches
     * @param peerWrites   of them, BGPPeer creations, patches and deletions
     * @param sessionChanges BGP sessions added plus removed, from the observed BGPPeers to the plan's,
     *                     node-to-node mesh off
     * @param recheckAfter when a timed transition (removalDelay) is pending: when the controller looks again
     * @param decisions    as the controller logs them; only with --diff
     * @param steps        as the controller logs them (one per write, in order); only with --diff
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Changes(int writes, int nodeWrites, int peerWrites, long sessionChanges, String recheckAfter,
            List<String> decisions, List<String> steps) {
    }

    /**
     * @param notes     what reading the input showed, reported among the warnings
     * @param withSteps whether to list decisions and steps (--diff)
     */
    public static PlanReport of(String source, Config config, RouteReflectorConfig rr, ClusterSnapshot observed,
            Plan plan, List<String> notes, boolean withSteps) {
        ClusterModel after = new ClusterModel(observed);
        plan.steps().forEach(after::apply);
        Collection<NodeFacts> nodes = after.nodes();
        Sessions sessions = Sessions.of(nodes, plan.desiredPeers());
        Set<String> targets = plan.summary().clientsPerReflector().keySet();

        List<Reflector> reflectors = new ArrayList<>();
        Map<String, Zone> zones = new TreeMap<>();
        int ready = 0;
        for (NodeFacts node : nodes) {
            String zone = Planner.zoneOf(node.labels(), rr);
            String clusterId = node.annotations().get(Names.CLUSTER_ID_ANNOTATION);
            String state = clusterId == null ? null : targets.contains(node.name()) ? "serving"
                    : node.labels().containsKey(rr.routeReflectorLabelKey()) ? "draining" : "foreign";
            boolean eligible = Planner.ineligibility(node, rr) == null && !"foreign".equals(state);
            ready += node.ready() ? 1 : 0;
            Zone counts = zones.getOrDefault(zone, new Zone(zone, 0, 0, 0, 0));
            zones.put(zone, new Zone(zone, counts.nodes() + 1, counts.eligible() + (eligible ? 1 : 0), 0,
                    counts.reflectors() + ("serving".equals(state) ? 1 : 0)));
            if (state != null) {
                Sessions.NodeSessions own = sessions.of(node.name());
                reflectors.add(new Reflector(node.name(), zone, clusterId, state, own.sessions(), own.withClients(),
                        own.withReflectors()));
            }
        }
        plan.summary().desiredPerZone().forEach((zone, desired) -> {
            Zone counts = zones.getOrDefault(zone, new Zone(zone, 0, 0, 0, 0));
            zones.put(zone, new Zone(zone, counts.nodes(), counts.eligible(), desired, counts.reflectors()));
        });
        reflectors.sort(Comparator.comparing(Reflector::zone).thenComparing(Reflector::clusterId, NATURAL)
                .thenComparing(Reflector::name));

        List<Sessions.NodeSessions> clients = sessions.clients();
        List<String> warnings = new ArrayList<>(plan.warnings());
        warnings.addAll(configurationWarnings(rr, plan.summary()));
        warnings.addAll(notes);
        long isolated = clients.stream().filter(c -> c.withReflectors() == 0).count();
        if (isolated > 0 && !reflectors.isEmpty()) {
            warnings.add(isolated + " Ready client(s) have no session with a route reflector: with the node-to-node "
                    + "mesh off they would learn no route");
        }
        Totals totals = new Totals(sessions.nodes().size(), sessions.total(), sessions.fullMesh(),
                sessions.fullMesh() - sessions.total(), sessions.fullMesh() == 0 ? 0
                        : round(100.0 * (sessions.fullMesh() - sessions.total()) / sessions.fullMesh()));
        List<PeerFacts> peers = plan.desiredPeers().stream().sorted(Comparator.comparing(PeerFacts::name, NATURAL))
                .toList();
        int nodeWrites = (int) plan.steps().stream().filter(Step.PatchNode.class::isInstance).count();
        long sessionChanges = sessions.changesFrom(Sessions.of(observed.nodes(), observed.ownedPeers()));
        Changes changes = new Changes(plan.steps().size(), nodeWrites, plan.steps().size() - nodeWrites, sessionChanges,
                plan.recheckAfter().map(ConfigValues::formatDuration).orElse(null),
                withSteps ? plan.decisions().stream().map(Object::toString).toList() : null,
                withSteps ? plan.steps().stream().map(Step::toString).toList() : null);
        return new PlanReport(source, config,
                new Nodes(nodes.size(), ready, plan.summary().eligible(), reflectors.size(),
                        nodes.size() - reflectors.size()),
                List.copyOf(zones.values()), reflectors,
                range(reflectors.stream().filter(r -> r.state().equals("serving")).map(Reflector::sessions).toList()),
                clientSessions(clients), new Peers(peers.size(), peers), totals,
                peerings(nodes, rr, reflectors, sessions), warnings, changes);
    }

    /** Where the plan is not what the configuration reads as: a rounded count, groups that cannot differ. */
    private static List<String> configurationWarnings(RouteReflectorConfig rr, PlanSummary summary) {
        List<String> warnings = new ArrayList<>();
        int configured = rr.configuredCount(summary.eligible());
        int size = RouteReflectorConfig.QUORUM_SIZE;
        if (rr.topologyType() == TopologyType.QUORUM && summary.eligible() >= size && configured % size != 0
                && summary.desiredTotal() != configured) {
            warnings.add(String.format(Locale.ROOT, "quorum: min=%d max=%d and the %s calculation give %d route "
                    + "reflector(s) for %d eligible node(s); whole quorums of %d make it %d", rr.min(), rr.max(),
                    rr.calculation().configName(), configured, summary.eligible(), size, summary.desiredTotal()));
        }
        int k = rr.routeReflectorsPerNode();
        int reflectors = summary.desiredTotal();
        if (rr.topologyType() == TopologyType.MULTI && reflectors > 0 && reflectors <= k) {
            warnings.add(String.format(Locale.ROOT, "multi: %d route reflector(s) and routeReflectorsPerNode=%d: every "
                    + "client peers with every route reflector%s, so the groups' BGPPeers all select the same ones "
                    + "(as single, with more BGPPeers); with more than %d route reflectors (raise min or ratio) "
                    + "clients are spread over groups of %d", reflectors, k,
                    reflectors < k ? " (" + reflectors + " session(s), not " + k + ")" : "", k, k));
        }
        return warnings;
    }

    private static Peerings peerings(Collection<NodeFacts> nodes, RouteReflectorConfig rr, List<Reflector> reflectors,
            Sessions sessions) {
        Map<String, Integer> order = new HashMap<>();
        reflectors.forEach(r -> order.put(r.name(), order.size()));
        Comparator<String> inReportOrder = Comparator.comparing(order::get);
        List<Link> links = new ArrayList<>();
        for (Reflector from : reflectors) {
            sessions.reflectorPeersOf(from.name()).stream()
                    .filter(to -> order.get(to) > order.get(from.name())).sorted(inReportOrder)
                    .forEach(to -> links.add(new Link(from.name(), to)));
        }
        record Key(String zone, List<String> reflectors) {
        }
        Map<Key, ClientGroup> groups = new HashMap<>();
        for (NodeFacts node : nodes) {
            if (!node.ready() || order.containsKey(node.name())) {
                continue;
            }
            List<String> peers = sessions.reflectorPeersOf(node.name()).stream().sorted(inReportOrder).toList();
            Key key = new Key(Planner.zoneOf(node.labels(), rr), peers);
            String rack = node.labels().get(rr.rackLabel());
            ClientGroup group = groups.get(key);
            groups.put(key, group == null ? new ClientGroup(key.zone(), rack, 1, peers)
                    : new ClientGroup(key.zone(), Objects.equals(group.rack(), rack) ? rack : null,
                            group.clients() + 1, peers));
        }
        Comparator<List<String>> byReflectors = (a, b) -> {
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                int c = Integer.compare(order.get(a.get(i)), order.get(b.get(i)));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(a.size(), b.size());
        };
        List<ClientGroup> sorted = groups.values().stream().sorted(Comparator.comparing(ClientGroup::zone)
                .thenComparing(ClientGroup::reflectors, byReflectors)).toList();
        return new Peerings(links, sorted);
    }

    /** Names with their numbers in numeric order: rrc-group-2 before rrc-group-10. */
    static final Comparator<String> NATURAL = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int endA = i;
                int endB = j;
                while (endA < a.length() && Character.isDigit(a.charAt(endA))) {
                    endA++;
                }
                while (endB < b.length() && Character.isDigit(b.charAt(endB))) {
                    endB++;
                }
                String numA = a.substring(i, endA).replaceFirst("^0+(?=.)", "");
                String numB = b.substring(j, endB).replaceFirst("^0+(?=.)", "");
                int order = numA.length() != numB.length() ? Integer.compare(numA.length(), numB.length())
                        : numA.compareTo(numB);
                if (order != 0) {
                    return order;
                }
                i = endA;
                j = endB;
            } else {
                if (x != y) {
                    return Character.compare(x, y);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private static Range range(List<Integer> values) {
        if (values.isEmpty()) {
            return null;
        }
        var stats = values.stream().mapToInt(Integer::intValue).summaryStatistics();
        return new Range(stats.getMin(), round(stats.getAverage()), stats.getMax());
    }

    private static ClientSessions clientSessions(List<Sessions.NodeSessions> clients) {
        Range range = range(clients.stream().map(Sessions.NodeSessions::sessions).toList());
        if (range == null) {
            return null;
        }
        Map<Integer, Integer> byCount = new TreeMap<>();
        clients.forEach(c -> byCount.merge(c.sessions(), 1, Integer::sum));
        List<Count> distribution = byCount.entrySet().stream().map(e -> new Count(e.getKey(), e.getValue())).toList();
        return new ClientSessions(range.min(), range.avg(), range.max(), distribution);
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
