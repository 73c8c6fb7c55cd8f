package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.PeerFacts;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * The {@code quorum} topology: target RRs in quorums of three that share a cluster ID (the quorum's
 * number in the template), each quorum's members from different zones where the zones allow;
 * every client peers with all RRs of one quorum, quorums filled evenly. Membership is sticky: an
 * RR keeps its quorum while the quorum is kept, and a replacement fills the vacancy it left, so
 * losing an RR costs its replacement's writes and one peer update, not a regrouping.
 */
final class QuorumTopology implements Topology {
    private static final int SIZE = RouteReflectorConfig.QUORUM_SIZE;
    private final ClusterIdTemplate template;
    private final int max;
    /** each target's quorum, as {@link #assignClients} decided */
    private final Map<View, Integer> quorumOf = new HashMap<>();

    QuorumTopology(RouteReflectorConfig config) {
        this.template = config.clusterId();
        this.max = config.max();
    }

    /**
     * A lost zone (its nodes NotReady) keeps the number of quorums: each quorum replaces its lost
     * member and keeps its clients, where fewer quorums would move the clients of the ones that go
     * (a kept quorum cannot take a whole group within the balance bound).
     */
    @Override
    public boolean countsNotReady() {
        return true;
    }

    /** The plain count rounded to whole quorums of three, within max and the eligible nodes. */
    @Override
    public int count(int computed, int eligible, List<String> warnings) {
        if (eligible < SIZE) {
            warnings.add("quorum: only " + eligible + " eligible node(s), one incomplete quorum");
            return computed;
        }
        int wanted = Math.min(computed, eligible); // NotReady nodes counted: more may be asked for than can serve
        int up = Math.max(SIZE, (wanted + SIZE - 1) / SIZE * SIZE);
        return up <= max && up <= eligible ? up : wanted / SIZE * SIZE;
    }

    /** One quorum. */
    @Override
    public int hysteresis() {
        return SIZE;
    }

    /** Puts the targets in quorums, and the clients in them evenly; returns quorum → RR indexes. */
    @Override
    public Map<String, List<Integer>> assignClients(List<View> views, List<View> targets,
            Map<String, PeerFacts> observedPeers, List<String> warnings) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        if (targets.isEmpty()) {
            return groups;
        }
        int quorums = (targets.size() + SIZE - 1) / SIZE;
        Map<Integer, List<View>> current = new TreeMap<>();
        targets.stream().sorted(Selection.KEEP_ORDER).forEach(t -> {
            int cluster = t.reflector ? t.currentCluster(template) : 0;
            if (cluster > 0) {
                current.computeIfAbsent(cluster, c -> new ArrayList<>()).add(t);
            }
        });
        // keep the quorums that have the most members now (ties: the lower number)
        Map<Integer, List<View>> members = new TreeMap<>();
        current.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<Integer, List<View>> e) -> -e.getValue().size())
                        .thenComparing(Map.Entry::getKey))
                .limit(quorums)
                .forEach(e -> members.put(e.getKey(), new ArrayList<>(e.getValue().subList(0, Math.min(SIZE, e.getValue().size())))));
        // new quorums take numbers no RR serves with now, so no ID is briefly shared by strangers
        Set<Integer> inUse = new HashSet<>(members.keySet());
        views.stream().filter(View::isRr).forEach(v -> inUse.add(v.currentCluster(template)));
        for (int next = 1; members.size() < quorums; next++) {
            if (next > template.capacity()) {
                warnings.add("clusterId " + template + " has no number left for another quorum: quorums grow past "
                        + SIZE);
                break;
            }
            if (!inUse.contains(next)) {
                members.put(next, new ArrayList<>());
            }
        }
        Set<View> placed = new HashSet<>();
        members.values().forEach(placed::addAll);
        List<View> unplaced = new ArrayList<>(targets.stream().filter(t -> !placed.contains(t)).toList());
        unplaced.sort(Comparator.comparing((View v) -> v.zone).thenComparing(View::name));
        for (View rr : unplaced) {
            members.get(vacancy(members, rr.zone)).add(rr);
        }
        Map<Integer, List<Integer>> draining = Selection.drainingByCluster(views, template);
        members.forEach((quorum, rrs) -> {
            rrs.forEach(rr -> quorumOf.put(rr, quorum));
            groups.put(String.valueOf(quorum),
                    Selection.withDraining(rrs.stream().map(rr -> rr.targetIndex).toList(), quorum, draining));
        });

        List<View> clients = views.stream().filter(v -> v.role == Role.CLIENT || v.role == Role.DEMOTE).toList();
        List<String> quorumIds = new ArrayList<>(groups.keySet());
        Set<String> headless = headless(clients, groups, Peers.groupIndexes(observedPeers));
        ClientGroups.fill(clients, quorumIds, headless, Map.of(), 0); // quorums share no RR
        return groups;
    }

    /**
     * The groups whose clients carry a quorum that is no more (fewer quorums: R shrank, as when a
     * zone is lost): each keeps its clients, and its peer is re-pointed to the members of a kept
     * quorum (one peer write, no client moves): the one with most of the group's RRs now, then the
     * fewest live clients, then the first; only while that quorum's live clients with the group's
     * stay within the balance bound of the even share (all clients counted: NotReady ones return),
     * and at most one such group per quorum, the largest first, so the BGPPeers stay within 2Q + 1.
     * The clients of the others move. Added to {@code quorums}.
     *
     * @param serving the RR indexes each group's BGPPeer selects now, by group id
     */
    private static Set<String> headless(List<View> clients, Map<String, List<Integer>> quorums,
            Map<String, List<Integer>> serving) {
        Map<String, int[]> carried = new HashMap<>(); // orphan group -> its clients
        Map<String, int[]> live = new HashMap<>(); // group -> its live clients
        for (View client : clients) {
            if (client.group == null) {
                continue;
            }
            if (!quorums.containsKey(client.group) && serving.containsKey(client.group)) {
                carried.computeIfAbsent(client.group, g -> new int[1])[0]++;
            }
            if (client.alive()) {
                live.computeIfAbsent(client.group, g -> new int[1])[0]++;
            }
        }
        int cap = (int) Math.ceil(ClientGroups.BALANCE_BOUND * clients.size() / quorums.size());
        List<String> orphans = new ArrayList<>(carried.keySet());
        orphans.sort(Comparator.comparingInt((String g) -> -carried.get(g)[0]).thenComparing(g -> g));
        List<String> hosts = new ArrayList<>(quorums.keySet());
        Map<String, List<Integer>> repointed = new LinkedHashMap<>();
        ToIntFunction<String> liveIn = group -> live.containsKey(group) ? live.get(group)[0] : 0;
        for (String orphan : orphans) {
            List<Integer> before = serving.get(orphan);
            int liveHere = liveIn.applyAsInt(orphan);
            hosts.stream()
                    .filter(q -> liveIn.applyAsInt(q) + liveHere <= cap)
                    .min(Comparator.comparingLong((String q) -> -quorums.get(q).stream().filter(before::contains).count())
                            .thenComparingInt(liveIn))
                    .ifPresent(host -> {
                        hosts.remove(host);
                        repointed.put(orphan, quorums.get(host));
                    });
        }
        quorums.putAll(repointed);
        return repointed.keySet();
    }

    @Override
    public String clusterId(View rr) {
        return rr.servesOnAsItIs() ? rr.clusterId : template.idFor(quorumOf.get(rr));
    }

    /** The quorum a new member joins: the emptiest, preferring one without its zone, then the lowest number. */
    private static int vacancy(Map<Integer, List<View>> members, String zone) {
        return members.entrySet().stream()
                .min(Comparator.comparing((Map.Entry<Integer, List<View>> e) -> e.getValue().size() >= SIZE)
                        .thenComparing(e -> e.getValue().stream().anyMatch(v -> v.zone.equals(zone)))
                        .thenComparing(e -> e.getValue().size())
                        .thenComparing(Map.Entry::getKey))
                .orElseThrow()
                .getKey();
    }
}
