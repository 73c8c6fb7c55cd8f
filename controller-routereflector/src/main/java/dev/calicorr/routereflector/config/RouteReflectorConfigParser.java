package dev.calicorr.routereflector.config;

import dev.calicorr.core.config.ConfigValues;
import dev.calicorr.core.config.HostConfigParser;
import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.routereflector.selector.Selector;
import dev.calicorr.routereflector.selector.SelectorParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Pure parse of {@code spec.controllers.routereflector} merged with the environment (design §3):
 * each variable overrides its one field, environment winning; every error names the field (or the
 * variable) it came from.
 */
public final class RouteReflectorConfigParser {
    public static final String SECTION = "spec.controllers.routereflector";
    public static final String ENV_MIN = "ROUTE_REFLECTOR_MIN";
    public static final String ENV_MAX = "ROUTE_REFLECTOR_MAX";
    public static final String ENV_RATIO = "ROUTE_REFLECTOR_RATIO";
    public static final String ENV_ZONE_LABEL = "ROUTE_REFLECTOR_ZONE_LABEL";
    /** {@code key} or {@code key=value}: the label put on RR nodes. */
    public static final String ENV_NODE_LABEL = "ROUTE_REFLECTOR_NODE_LABEL";
    public static final String ENV_CLUSTER_ID = "ROUTE_REFLECTOR_CLUSTER_ID";
    public static final String ENV_TOPOLOGY = "ROUTE_REFLECTOR_TOPOLOGY";
    /** Upstream kube-controllers' variable for every controller's reconcile period. */
    public static final String ENV_RECONCILER_PERIOD = "RECONCILER_PERIOD";

    private static final Set<String> FIELDS = Set.of("min", "max", "ratio", "calculation", "steps", "zoneLabel",
            "rackLabel", "reflectorsPerRack", "topologyType",
            "routeReflectorsPerNode", "clusterId", "routeReflectorLabelKey", "routeReflectorLabelValue",
            "hostnameLabel", "nodeSelector", "incompatibleLabels", "preferredLabels", "tolerations", "removalDelay",
            "reconcilerPeriod", "adoptLegacyPeers", "manageNodeToNodeMesh", "sessionStuckAfter",
            "sessionSettleDelay", "notReadyGrace", "protectFromScaleDown", "maxStepsPerReconcile");
    private static final Duration MIN_RECONCILER_PERIOD = Duration.ofSeconds(1);
    private static final Duration MIN_SESSION_STUCK_AFTER = Duration.ofSeconds(1);
    /** A change held back longer than this without any report is not a settle delay but an outage. */
    private static final Duration MAX_SESSION_SETTLE_DELAY = Duration.ofMinutes(30);

    private RouteReflectorConfigParser() {
    }

    public static ParsedConfig<RouteReflectorConfig> parse(Map<String, Object> section, Map<String, String> env)
            throws InvalidConfigException {
        Map<String, String> used = new TreeMap<>();
        Map<String, Object> merged = section == null ? new LinkedHashMap<>() : new LinkedHashMap<>(section);
        for (String key : merged.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new InvalidConfigException(SECTION + "." + key,
                        "unknown field (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")");
            }
        }
        overrideNumber(env, ENV_MIN, "min", merged, used);
        overrideNumber(env, ENV_MAX, "max", merged, used);
        overrideNumber(env, ENV_RATIO, "ratio", merged, used);
        overrideString(env, ENV_ZONE_LABEL, "zoneLabel", merged, used);
        overrideString(env, ENV_CLUSTER_ID, "clusterId", merged, used);
        overrideString(env, ENV_TOPOLOGY, "topologyType", merged, used);
        overrideString(env, ENV_RECONCILER_PERIOD, "reconcilerPeriod", merged, used);
        if (env.containsKey(ENV_NODE_LABEL)) {
            String text = env.get(ENV_NODE_LABEL).trim();
            used.put(ENV_NODE_LABEL, text);
            int eq = text.indexOf('=');
            merged.put("routeReflectorLabelKey", eq < 0 ? text : text.substring(0, eq));
            merged.put("routeReflectorLabelValue", eq < 0 ? "" : text.substring(eq + 1));
        }

        ConfigValues values = new ConfigValues(merged, SECTION);
        RouteReflectorConfig.Builder builder = RouteReflectorConfig.builder();

        int min = values.integer("min").orElse(RouteReflectorConfig.DEFAULT_MIN);
        int max = values.integer("max").orElse(RouteReflectorConfig.DEFAULT_MAX);
        if (min < 1) {
            throw new InvalidConfigException(field(used, ENV_MIN, "min"), "must be at least 1, got " + min);
        }
        if (max < 1) {
            throw new InvalidConfigException(field(used, ENV_MAX, "max"), "must be at least 1, got " + max);
        }
        if (min > max) {
            throw new InvalidConfigException(field(used, ENV_MIN, "min"), "min " + min + " is greater than max " + max);
        }
        builder.min(min).max(max);

        double ratio = values.number("ratio").orElse(RouteReflectorConfig.DEFAULT_RATIO);
        if (!(ratio >= RouteReflectorConfig.MIN_RATIO && ratio <= RouteReflectorConfig.MAX_RATIO)) {
            throw new InvalidConfigException(field(used, ENV_RATIO, "ratio"), "must be between "
                    + RouteReflectorConfig.MIN_RATIO + " and " + RouteReflectorConfig.MAX_RATIO + ", got " + ratio);
        }
        builder.ratio(ratio);
        builder.steps(steps(values, max));

        String zoneLabel = values.string("zoneLabel").orElse(RouteReflectorConfig.DEFAULT_ZONE_LABEL).trim();
        if (!zoneLabel.isEmpty()) {
            requireKey(field(used, ENV_ZONE_LABEL, "zoneLabel"), zoneLabel);
        }
        builder.zoneLabel(zoneLabel);

        String topologyName = values.string("topologyType").orElse(RouteReflectorConfig.DEFAULT_TOPOLOGY.configName());
        TopologyType topology = TopologyType.fromConfigName(topologyName.trim());
        if (topology == null) {
            throw new InvalidConfigException(field(used, ENV_TOPOLOGY, "topologyType"),
                    "'" + topologyName + "' is not a topology (" + TopologyType.configNames() + ")");
        }
        int quorumSize = RouteReflectorConfig.QUORUM_SIZE;
        if (topology == TopologyType.QUORUM && max / quorumSize * quorumSize < Math.max(min, quorumSize)) {
            throw new InvalidConfigException(field(used, ENV_MAX, "max"), "quorum needs a multiple of "
                    + quorumSize + " between min and max (RRs come in quorums of three), got min " + min + ", max " + max);
        }
        builder.topologyType(topology);

        String rackLabel = values.string("rackLabel").orElse(RouteReflectorConfig.DEFAULT_RACK_LABEL).trim();
        requireKey(values.field("rackLabel"), rackLabel);
        builder.rackLabel(rackLabel);
        int perRack = values.integer("reflectorsPerRack").orElse(RouteReflectorConfig.DEFAULT_REFLECTORS_PER_RACK);
        if (perRack < 1) {
            throw new InvalidConfigException(values.field("reflectorsPerRack"), "must be at least 1, got " + perRack);
        }
        builder.reflectorsPerRack(perRack);

        int perNode = values.integer("routeReflectorsPerNode").orElse(RouteReflectorConfig.DEFAULT_ROUTE_REFLECTORS_PER_NODE);
        if (perNode < 1) {
            throw new InvalidConfigException(values.field("routeReflectorsPerNode"), "must be at least 1, got " + perNode);
        }
        builder.routeReflectorsPerNode(perNode);

        String clusterIdText = values.string("clusterId").orElse(ClusterIdTemplate.DEFAULT.sharedId());
        ClusterIdTemplate clusterId;
        try {
            clusterId = ClusterIdTemplate.parse(clusterIdText);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(field(used, ENV_CLUSTER_ID, "clusterId"), e.getMessage());
        }
        long idsNeeded = switch (topology) {
            case SINGLE -> 0;
            case MULTI -> max;
            case QUORUM -> (max + RouteReflectorConfig.QUORUM_SIZE - 1) / RouteReflectorConfig.QUORUM_SIZE;
            case HIERARCHY -> 1; // one per rack; a rack beyond the room left is reported by the planner
        };
        if (clusterId.capacity() < idsNeeded) {
            throw new InvalidConfigException(field(used, ENV_CLUSTER_ID, "clusterId"), "'" + clusterIdText
                    + "' leaves room for " + clusterId.capacity() + " cluster IDs but " + topology.configName()
                    + " needs " + idsNeeded + " (the zero octets are filled with an index, e.g. 224.0.0.0)");
        }
        builder.clusterId(clusterId);

        String labelKey = values.string("routeReflectorLabelKey").orElse(RouteReflectorConfig.DEFAULT_RR_LABEL_KEY).trim();
        requireKey(field(used, ENV_NODE_LABEL, "routeReflectorLabelKey"), labelKey);
        String labelValue = values.string("routeReflectorLabelValue").orElse(RouteReflectorConfig.DEFAULT_RR_LABEL_VALUE).trim();
        String valueProblem = LabelSyntax.valueProblem(labelValue);
        if (valueProblem != null) {
            throw new InvalidConfigException(field(used, ENV_NODE_LABEL, "routeReflectorLabelValue"), valueProblem);
        }
        builder.routeReflectorLabelKey(labelKey).routeReflectorLabelValue(labelValue);

        String hostnameLabel = values.string("hostnameLabel").orElse(RouteReflectorConfig.DEFAULT_HOSTNAME_LABEL).trim();
        requireKey(values.field("hostnameLabel"), hostnameLabel);
        builder.hostnameLabel(hostnameLabel);

        Optional<String> selectorText = values.string("nodeSelector").map(String::trim).filter(s -> !s.isEmpty());
        if (selectorText.isPresent()) {
            try {
                builder.nodeSelector(Selector.parse(selectorText.get()));
            } catch (SelectorParseException e) {
                throw new InvalidConfigException(values.field("nodeSelector"), e.getMessage());
            }
        }

        builder.incompatibleLabels(labelMatches(values, "incompatibleLabels"));
        builder.preferredLabels(labelMatches(values, "preferredLabels"));

        List<String> tolerations = values.strings("tolerations").orElse(List.of());
        for (String key : tolerations) {
            requireKey(values.field("tolerations"), key);
        }
        builder.tolerations(Set.copyOf(tolerations));

        Duration removalDelay = values.duration("removalDelay").orElse(RouteReflectorConfig.DEFAULT_REMOVAL_DELAY);
        if (removalDelay.isNegative()) {
            throw new InvalidConfigException(values.field("removalDelay"), "must not be negative");
        }
        builder.removalDelay(removalDelay);

        Duration period;
        try {
            period = values.duration("reconcilerPeriod").orElse(RouteReflectorConfig.DEFAULT_RECONCILER_PERIOD);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException(field(used, ENV_RECONCILER_PERIOD, "reconcilerPeriod"), e.getMessage());
        }
        if (period.compareTo(MIN_RECONCILER_PERIOD) < 0) {
            throw new InvalidConfigException(field(used, ENV_RECONCILER_PERIOD, "reconcilerPeriod"),
                    "must be at least 1s, got " + ConfigValues.formatDuration(period));
        }
        builder.reconcilerPeriod(period);
        builder.adoptLegacyPeers(values.bool("adoptLegacyPeers").orElse(false));
        builder.manageNodeToNodeMesh(values.bool("manageNodeToNodeMesh").orElse(false));
        Duration stuckAfter = values.duration("sessionStuckAfter").orElse(RouteReflectorConfig.DEFAULT_SESSION_STUCK_AFTER);
        if (stuckAfter.compareTo(MIN_SESSION_STUCK_AFTER) < 0) {
            throw new InvalidConfigException(values.field("sessionStuckAfter"),
                    "must be at least 1s, got " + ConfigValues.formatDuration(stuckAfter));
        }
        builder.sessionStuckAfter(stuckAfter);
        Duration settle = values.duration("sessionSettleDelay").orElse(RouteReflectorConfig.DEFAULT_SESSION_SETTLE_DELAY);
        if (settle.compareTo(MAX_SESSION_SETTLE_DELAY) > 0) { // a duration is never negative
            throw new InvalidConfigException(values.field("sessionSettleDelay"),
                    "must be between 0s and " + ConfigValues.formatDuration(MAX_SESSION_SETTLE_DELAY) + ", got "
                            + ConfigValues.formatDuration(settle));
        }
        builder.sessionSettleDelay(settle);
        Duration notReadyGrace = values.duration("notReadyGrace").orElse(RouteReflectorConfig.DEFAULT_NOT_READY_GRACE);
        if (notReadyGrace.isNegative()) {
            throw new InvalidConfigException(values.field("notReadyGrace"), "must not be negative");
        }
        builder.notReadyGrace(notReadyGrace);
        builder.protectFromScaleDown(values.bool("protectFromScaleDown").orElse(true));
        int maxSteps = values.integer("maxStepsPerReconcile").orElse(RouteReflectorConfig.DEFAULT_MAX_STEPS_PER_RECONCILE);
        if (maxSteps < 1) {
            throw new InvalidConfigException(values.field("maxStepsPerReconcile"), "must be at least 1, got " + maxSteps);
        }
        builder.maxStepsPerReconcile(maxSteps);

        RouteReflectorConfig config = builder.build();
        return new ParsedConfig<>(config, effective(config), used);
    }

    /**
     * {@code calculation} and {@code steps}: stepping needs steps whose nodes rise and whose
     * reflectors never fall nor exceed max; linear takes none.
     */
    private static List<ReflectorCount.Step> steps(ConfigValues values, int max) throws InvalidConfigException {
        String calculation = values.string("calculation").orElse("linear").trim();
        List<Map<String, Object>> entries = values.sections("steps").orElse(List.of());
        if (calculation.equals("linear")) {
            if (!entries.isEmpty()) {
                throw new InvalidConfigException(values.field("steps"),
                        "steps are only read with calculation: stepping (calculation is linear)");
            }
            return List.of();
        }
        if (!calculation.equals("stepping")) {
            throw new InvalidConfigException(values.field("calculation"),
                    "'" + calculation + "' is not a calculation (linear, stepping)");
        }
        if (entries.isEmpty()) {
            throw new InvalidConfigException(values.field("steps"),
                    "calculation: stepping needs steps, e.g. [{nodes: 0, reflectors: 3}, {nodes: 100, reflectors: 5}]");
        }
        List<ReflectorCount.Step> steps = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            ConfigValues entry = new ConfigValues(entries.get(i), values.field("steps") + "[" + i + "]");
            for (String key : entries.get(i).keySet()) {
                if (!key.equals("nodes") && !key.equals("reflectors")) {
                    throw new InvalidConfigException(entry.field(key), "unknown field (known: nodes, reflectors)");
                }
            }
            int nodes = entry.integer("nodes").orElseThrow(() -> new InvalidConfigException(entry.field("nodes"),
                    "is required"));
            int reflectors = entry.integer("reflectors").orElseThrow(() -> new InvalidConfigException(
                    entry.field("reflectors"), "is required"));
            if (nodes < 0) {
                throw new InvalidConfigException(entry.field("nodes"), "must not be negative, got " + nodes);
            }
            if (reflectors < 1) {
                throw new InvalidConfigException(entry.field("reflectors"), "must be at least 1, got " + reflectors);
            }
            if (reflectors > max) {
                throw new InvalidConfigException(entry.field("reflectors"), reflectors + " is above max " + max
                        + " (raise max too)");
            }
            if (!steps.isEmpty()) {
                ReflectorCount.Step previous = steps.get(steps.size() - 1);
                if (nodes <= previous.nodes()) {
                    throw new InvalidConfigException(entry.field("nodes"), "steps must rise: " + nodes
                            + " is not above the previous step's " + previous.nodes());
                }
                if (reflectors < previous.reflectors()) {
                    throw new InvalidConfigException(entry.field("reflectors"), "steps must not fall: " + reflectors
                            + " is below the previous step's " + previous.reflectors());
                }
            }
            steps.add(new ReflectorCount.Step(nodes, reflectors));
        }
        return steps;
    }

    /** The effective configuration under the same field names, for {@code runningConfig}. */
    public static Map<String, Object> effective(RouteReflectorConfig config) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("min", config.min());
        out.put("max", config.max());
        out.put("ratio", config.ratio());
        out.put("calculation", config.calculation().configName());
        if (!config.steps().isEmpty()) {
            out.put("steps", config.steps().stream()
                    .map(step -> Map.<String, Object>of("nodes", step.nodes(), "reflectors", step.reflectors()))
                    .toList());
        }
        out.put("zoneLabel", config.zoneLabel());
        out.put("rackLabel", config.rackLabel());
        out.put("reflectorsPerRack", config.reflectorsPerRack());
        out.put("topologyType", config.topologyType().configName());
        out.put("routeReflectorsPerNode", config.routeReflectorsPerNode());
        out.put("clusterId", config.clusterId().sharedId());
        out.put("routeReflectorLabelKey", config.routeReflectorLabelKey());
        out.put("routeReflectorLabelValue", config.routeReflectorLabelValue());
        out.put("hostnameLabel", config.hostnameLabel());
        out.put("nodeSelector", config.nodeSelector().toString());
        out.put("incompatibleLabels", joined(config.incompatibleLabels()));
        out.put("preferredLabels", joined(config.preferredLabels()));
        out.put("tolerations", config.tolerations().stream().sorted().toList());
        out.put("removalDelay", ConfigValues.formatDuration(config.removalDelay()));
        out.put("reconcilerPeriod", ConfigValues.formatDuration(config.reconcilerPeriod()));
        out.put("adoptLegacyPeers", config.adoptLegacyPeers());
        out.put("manageNodeToNodeMesh", config.manageNodeToNodeMesh());
        out.put("sessionStuckAfter", ConfigValues.formatDuration(config.sessionStuckAfter()));
        out.put("sessionSettleDelay", ConfigValues.formatDuration(config.sessionSettleDelay()));
        out.put("notReadyGrace", ConfigValues.formatDuration(config.notReadyGrace()));
        out.put("protectFromScaleDown", config.protectFromScaleDown());
        out.put("maxStepsPerReconcile", config.maxStepsPerReconcile());
        return out;
    }

    private static String joined(List<LabelMatch> matches) {
        return String.join(",", matches.stream().map(LabelMatch::toString).toList());
    }

    /** {@code key} or {@code key=value}, comma separated. */
    static List<LabelMatch> labelMatches(ConfigValues values, String key) throws InvalidConfigException {
        String text = values.string(key).orElse("");
        List<LabelMatch> matches = new ArrayList<>();
        for (String entry : HostConfigParser.commaList(text)) {
            int eq = entry.indexOf('=');
            String labelKey = (eq < 0 ? entry : entry.substring(0, eq)).trim();
            String problem = LabelSyntax.keyProblem(labelKey);
            if (problem == null && eq >= 0) {
                String value = entry.substring(eq + 1).trim();
                problem = value.contains("=") ? "'" + entry + "': write key or key=value" : LabelSyntax.valueProblem(value);
                if (problem == null) {
                    matches.add(new LabelMatch(labelKey, Optional.of(value)));
                }
            } else if (problem == null) {
                matches.add(new LabelMatch(labelKey, Optional.empty()));
            }
            if (problem != null) {
                throw new InvalidConfigException(values.field(key), problem + " (entries are key or key=value, comma separated)");
            }
        }
        return matches;
    }

    private static void requireKey(String field, String key) throws InvalidConfigException {
        String problem = LabelSyntax.keyProblem(key);
        if (problem != null) {
            throw new InvalidConfigException(field, problem);
        }
    }

    /** Names the variable when it supplied the value, else the CR field. */
    private static String field(Map<String, String> used, String variable, String key) {
        return used.containsKey(variable) ? variable : SECTION + "." + key;
    }

    private static void overrideString(Map<String, String> env, String variable, String key, Map<String, Object> merged,
            Map<String, String> used) {
        if (env.containsKey(variable)) {
            used.put(variable, env.get(variable));
            merged.put(key, env.get(variable));
        }
    }

    private static void overrideNumber(Map<String, String> env, String variable, String key, Map<String, Object> merged,
            Map<String, String> used) throws InvalidConfigException {
        if (env.containsKey(variable)) {
            String text = env.get(variable).trim();
            used.put(variable, text);
            try {
                merged.put(key, Double.parseDouble(text));
            } catch (NumberFormatException e) {
                throw new InvalidConfigException(variable, "'" + text + "' is not a number");
            }
        }
    }
}
