package dev.calicorr.routereflector.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws a {@link PlanReport} as a graph, Graphviz {@code dot} or Mermaid: a box per zone holding
 * its route reflectors (name, cluster ID; one colour per cluster ID, so a quorum or a rack's
 * reflectors share one) and its client groups (clients with the same route reflectors), a line
 * per BGP session between two route reflectors and one from each client group to each of its
 * route reflectors. Everything comes from the report's counted sessions, so the picture shows
 * what calico-node would set up, whatever the topology. Pure; the same report gives the same text.
 */
public final class GraphWriter {
    /** Light fills that tell cluster IDs apart, in turn; more cluster IDs than colours reuse them. */
    private static final List<String> FILLS = List.of("#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc", "#d9d2e9",
            "#fce5cd", "#d0e0e3", "#ead1dc", "#c9daf8", "#e6e6e6");
    private static final String NL = System.lineSeparator();

    private GraphWriter() {
    }

    /** The nodes of the picture: ids in report order, so the text is stable. */
    private record Picture(PlanReport report, Map<String, String> reflectorIds, Map<String, Integer> fills,
            Map<String, List<String>> reflectorsByZone, Map<String, List<Integer>> groupsByZone) {

        static Picture of(PlanReport report) {
            Map<String, String> ids = new HashMap<>();
            Map<String, Integer> fills = new HashMap<>();
            Map<String, List<String>> reflectorsByZone = new LinkedHashMap<>();
            Map<String, List<Integer>> groupsByZone = new LinkedHashMap<>();
            report.zones().forEach(z -> {
                reflectorsByZone.put(z.zone(), new ArrayList<>());
                groupsByZone.put(z.zone(), new ArrayList<>());
            });
            for (PlanReport.Reflector rr : report.reflectors()) {
                ids.put(rr.name(), "rr" + (ids.size() + 1));
                fills.putIfAbsent(rr.clusterId(), fills.size() % FILLS.size());
                reflectorsByZone.computeIfAbsent(rr.zone(), z -> new ArrayList<>()).add(rr.name());
            }
            List<PlanReport.ClientGroup> groups = report.peerings().clientGroups();
            for (int i = 0; i < groups.size(); i++) {
                groupsByZone.computeIfAbsent(groups.get(i).zone(), z -> new ArrayList<>()).add(i);
            }
            return new Picture(report, ids, fills, reflectorsByZone, groupsByZone);
        }

        String fill(PlanReport.Reflector rr) {
            return FILLS.get(fills.get(rr.clusterId()));
        }

        PlanReport.Reflector reflector(String name) {
            return report.reflectors().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
        }

        int zoneNodes(String zone) {
            return report.zones().stream().filter(z -> z.zone().equals(zone)).mapToInt(PlanReport.Zone::nodes)
                    .findFirst().orElse(0);
        }
    }

    public static String dot(PlanReport report) {
        Picture picture = Picture.of(report);
        StringBuilder out = new StringBuilder();
        line(out, "graph plan {");
        line(out, "  label=%s;", quote(title(report)));
        line(out, "  labelloc=t; fontname=\"Helvetica\"; fontsize=16; rankdir=TB; nodesep=0.3; ranksep=0.9;");
        line(out, "  node [fontname=\"Helvetica\", fontsize=11];");
        line(out, "  edge [color=\"#888888\"];");
        int zoneIndex = 0;
        for (String zone : picture.reflectorsByZone().keySet()) {
            zoneIndex++;
            line(out, "  subgraph cluster_zone%d {", zoneIndex);
            line(out, "    label=%s; style=rounded; color=\"#555555\";", quote(zoneLabel(zone, picture.zoneNodes(zone))));
            for (String name : picture.reflectorsByZone().get(zone)) {
                PlanReport.Reflector rr = picture.reflector(name);
                line(out, "    %s [shape=ellipse, style=\"filled%s\", fillcolor=%s, label=%s];",
                        picture.reflectorIds().get(name), rr.state().equals("serving") ? "" : ",dashed",
                        quote(picture.fill(rr)), quote(reflectorLabel(rr, "\\n")));
            }
            for (int group : picture.groupsByZone().get(zone)) {
                PlanReport.ClientGroup g = report.peerings().clientGroups().get(group);
                line(out, "    g%d [shape=box, style=%s, label=%s];", group + 1,
                        g.reflectors().isEmpty() ? "\"filled\", fillcolor=\"#f4cccc\"" : "\"solid\"",
                        quote(groupLabel(g, "\\n")));
            }
            line(out, "  }");
        }
        for (PlanReport.Link link : report.peerings().reflectorSessions()) {
            line(out, "  %s -- %s [color=\"#1f4e79\", penwidth=2];", picture.reflectorIds().get(link.from()),
                    picture.reflectorIds().get(link.to()));
        }
        List<PlanReport.ClientGroup> groups = report.peerings().clientGroups();
        for (int i = 0; i < groups.size(); i++) {
            for (String rr : groups.get(i).reflectors()) {
                line(out, "  g%d -- %s;", i + 1, picture.reflectorIds().get(rr));
            }
        }
        line(out, "}");
        return out.toString();
    }

    public static String mermaid(PlanReport report) {
        Picture picture = Picture.of(report);
        StringBuilder out = new StringBuilder();
        line(out, "---");
        line(out, "title: %s", quote(title(report)));
        line(out, "---");
        line(out, "graph TB");
        int zoneIndex = 0;
        for (String zone : picture.reflectorsByZone().keySet()) {
            zoneIndex++;
            line(out, "  subgraph zone%d[%s]", zoneIndex, quote(zoneLabel(zone, picture.zoneNodes(zone))));
            for (String name : picture.reflectorsByZone().get(zone)) {
                line(out, "    %s((%s))", picture.reflectorIds().get(name),
                        quote(reflectorLabel(picture.reflector(name), "<br/>")));
            }
            for (int group : picture.groupsByZone().get(zone)) {
                line(out, "    g%d[%s]", group + 1, quote(groupLabel(report.peerings().clientGroups().get(group), "<br/>")));
            }
            line(out, "  end");
        }
        for (PlanReport.Link link : report.peerings().reflectorSessions()) {
            line(out, "  %s === %s", picture.reflectorIds().get(link.from()), picture.reflectorIds().get(link.to()));
        }
        List<PlanReport.ClientGroup> groups = report.peerings().clientGroups();
        for (int i = 0; i < groups.size(); i++) {
            for (String rr : groups.get(i).reflectors()) {
                line(out, "  g%d --- %s", i + 1, picture.reflectorIds().get(rr));
            }
        }
        for (PlanReport.Reflector rr : report.reflectors()) {
            line(out, "  style %s fill:%s%s", picture.reflectorIds().get(rr.name()), picture.fill(rr),
                    rr.state().equals("serving") ? "" : ",stroke-dasharray:4");
        }
        return out.toString();
    }

    private static String title(PlanReport report) {
        PlanReport.Nodes nodes = report.nodes();
        return String.format(Locale.ROOT, "%s: %s topology, %d route reflector(s), %d client(s), %d BGP sessions",
                report.source(), report.config().topology(), nodes.reflectors(), nodes.clients(),
                report.sessions().total());
    }

    private static String zoneLabel(String zone, int nodes) {
        return (zone.isEmpty() ? "no zone" : zone) + " (" + nodes + " nodes)";
    }

    private static String reflectorLabel(PlanReport.Reflector rr, String newline) {
        return rr.name() + newline + rr.clusterId() + (rr.state().equals("serving") ? "" : " " + rr.state());
    }

    private static String groupLabel(PlanReport.ClientGroup group, String newline) {
        String clients = group.clients() + (group.clients() == 1 ? " client" : " clients");
        if (group.reflectors().isEmpty()) {
            clients += newline + "without a route reflector";
        }
        return group.rack() == null ? clients : clients + newline + group.rack();
    }

    /** A double-quoted string for both languages: names, IDs and counts hold no quote or backslash of their own. */
    private static String quote(String text) {
        return "\"" + text.replace("\"", "'") + "\"";
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append(NL);
    }
}
