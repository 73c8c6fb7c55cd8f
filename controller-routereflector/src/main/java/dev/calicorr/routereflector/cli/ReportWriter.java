package dev.calicorr.routereflector.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.calicorr.routereflector.model.PeerFacts;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a {@link PlanReport}: tables for people, YAML and JSON for tools. Pure. */
public final class ReportWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR));
    private static final String NL = System.lineSeparator();

    private ReportWriter() {
    }

    public static String json(PlanReport report) {
        return write(JSON, report) + NL;
    }

    public static String yaml(PlanReport report) {
        return write(YAML, report);
    }

    private static String write(ObjectMapper mapper, PlanReport report) {
        try {
            return mapper.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The whole report as tables. */
    public static String table(PlanReport report) {
        StringBuilder out = new StringBuilder();
        PlanReport.Nodes nodes = report.nodes();
        line(out, "Plan: %s topology for %s", report.config().topology(), report.source());
        line(out, "Config: %s", report.config().source());
        wrapped(out, "  ", settings(report.config().effective()));
        out.append(NL);
        line(out, "Nodes: %d (%d Ready, %d eligible) -> %d route reflector(s), %d client(s)", nodes.total(),
                nodes.ready(), nodes.eligible(), nodes.reflectors(), nodes.clients());
        List<List<String>> zones = new ArrayList<>();
        int desired = 0;
        int serving = 0;
        for (PlanReport.Zone zone : report.zones()) {
            zones.add(List.of(zoneName(zone.zone()), n(zone.nodes()), n(zone.eligible()), n(zone.desiredReflectors()),
                    n(zone.reflectors())));
            desired += zone.desiredReflectors();
            serving += zone.reflectors();
        }
        zones.add(List.of("total", n(nodes.total()), n(nodes.eligible()), n(desired), n(serving)));
        table(out, List.of("ZONE", "NODES", "ELIGIBLE", "RRS-DESIRED", "RRS"), zones, 1);
        out.append(NL);

        line(out, "Route reflectors: %d", report.reflectors().size());
        if (!report.reflectors().isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (PlanReport.Reflector rr : report.reflectors()) {
                rows.add(List.of(rr.name(), zoneName(rr.zone()), rr.clusterId(), rr.state(), n(rr.sessions()),
                        n(rr.clientSessions()), n(rr.reflectorSessions())));
            }
            table(out, List.of("NAME", "ZONE", "CLUSTER-ID", "STATE", "SESSIONS", "CLIENTS", "RRS"), rows, 4);
        }
        out.append(NL);
        line(out, "Sessions per route reflector: %s", range(report.sessionsPerReflector()));
        PlanReport.ClientSessions clients = report.sessionsPerClient();
        if (clients == null) {
            line(out, "Sessions per client: -");
        } else {
            line(out, "Sessions per client: %s", range(new PlanReport.Range(clients.min(), clients.avg(), clients.max())));
            List<List<String>> rows = new ArrayList<>();
            clients.distribution().forEach(c -> rows.add(List.of(n(c.sessions()), n(c.clients()))));
            table(out, List.of("SESSIONS", "CLIENTS"), rows, 0);
        }
        out.append(NL);
        line(out, "BGPPeers: %d", report.bgpPeers().count());
        if (!report.bgpPeers().items().isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (PeerFacts peer : report.bgpPeers().items()) {
                rows.add(List.of(peer.name(), peer.nodeSelector(), peer.peerSelector()));
            }
            table(out, List.of("NAME", "NODE-SELECTOR", "PEER-SELECTOR"), rows, Integer.MAX_VALUE);
        }
        out.append(NL);
        PlanReport.Totals totals = report.sessions();
        line(out, "BGP sessions: %d over %d Ready nodes (the BGPPeers above, node-to-node mesh off)", totals.total(),
                totals.nodes());
        line(out, "Full mesh:    %d = N(N-1)/2", totals.fullMesh());
        line(out, "Avoided:      %d (%s%%)", totals.avoided(), String.format(Locale.ROOT, "%.2f", totals.avoidedPercent()));
        out.append(NL);
        warnings(out, report.warnings());
        PlanReport.Changes changes = report.changes();
        line(out, "Changes: %d write(s) from the current state%s%s", changes.writes(),
                changes.writes() > 0 ? " (" + counts(changes) + "; --diff lists them)" : "",
                changes.recheckAfter() == null ? "" : "; a timed transition is pending, the controller looks again in "
                        + changes.recheckAfter());
        return out.toString();
    }

    private static String counts(PlanReport.Changes changes) {
        return changes.nodeWrites() + " node, " + changes.peerWrites() + " BGPPeer; " + changes.sessionChanges()
                + " BGP session change(s)";
    }

    /** What would change (--diff): the decisions, then the writes in the controller's order, one per line. */
    public static String diff(PlanReport report) {
        StringBuilder out = new StringBuilder();
        PlanReport.Changes changes = report.changes();
        if (changes.writes() == 0) {
            line(out, "No changes: the cluster already has the topology of this plan (%d route reflector(s), "
                    + "%d BGPPeer(s)).", report.nodes().reflectors(), report.bgpPeers().count());
        } else {
            line(out, "Decisions: %d", changes.decisions().size());
            changes.decisions().forEach(d -> line(out, "  %s", d));
            line(out, "Changes: %d write(s) (%s), in the order the controller applies them", changes.writes(),
                    counts(changes));
            changes.steps().forEach(s -> line(out, "  %s", s));
        }
        if (changes.recheckAfter() != null) {
            line(out, "A timed transition is pending: the controller looks again in %s.", changes.recheckAfter());
        }
        warnings(out, report.warnings());
        return out.toString();
    }

    private static void warnings(StringBuilder out, List<String> warnings) {
        if (warnings.isEmpty()) {
            line(out, "Warnings: none");
            return;
        }
        line(out, "Warnings: %d", warnings.size());
        warnings.forEach(w -> line(out, "  %s", w));
    }

    private static List<String> settings(Map<String, Object> effective) {
        List<String> settings = new ArrayList<>();
        effective.forEach((key, value) -> settings.add(key + "=" + (value instanceof String text && text.isEmpty()
                ? "\"\"" : value)));
        return settings;
    }

    /** Words joined by spaces, lines of at most 100 characters. */
    private static void wrapped(StringBuilder out, String indent, List<String> words) {
        StringBuilder current = new StringBuilder(indent);
        for (String word : words) {
            if (current.length() > indent.length() && current.length() + 1 + word.length() > 100) {
                out.append(current).append(NL);
                current = new StringBuilder(indent);
            }
            if (current.length() > indent.length()) {
                current.append(' ');
            }
            current.append(word);
        }
        if (current.length() > indent.length()) {
            out.append(current).append(NL);
        }
    }

    private static String range(PlanReport.Range range) {
        if (range == null) {
            return "-";
        }
        return "min " + range.min() + ", avg " + String.format(Locale.ROOT, "%.1f", range.avg()) + ", max "
                + range.max();
    }

    private static String zoneName(String zone) {
        return zone.isEmpty() ? "\"\"" : zone;
    }

    private static String n(long value) {
        return Long.toString(value);
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append(NL);
    }

    /**
     * Columns padded to their widest cell, two spaces apart, indented by two; columns from
     * {@code firstNumeric} on are right-aligned. The last column is not padded.
     */
    static void table(StringBuilder out, List<String> headers, List<List<String>> rows, int firstNumeric) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> row : all) {
            StringBuilder text = new StringBuilder("  ");
            for (int i = 0; i < widths.length; i++) {
                String cell = row.get(i);
                boolean last = i == widths.length - 1;
                String pad = " ".repeat(widths[i] - cell.length());
                if (i >= firstNumeric) {
                    text.append(pad).append(cell);
                } else {
                    text.append(cell).append(last ? "" : pad);
                }
                if (!last) {
                    text.append("  ");
                }
            }
            out.append(text.toString().stripTrailing()).append(NL);
        }
    }
}
