package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.testsupport.ControlPlane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The pictures of docs/topologies.md are real plan output: each {@code docs/pictures/NAME.dot} is
 * what {@code plan ARGS -o dot} prints now (docs/pictures/pictures.txt), and {@code NAME.svg} was
 * rendered from it (the same nodes and lines). Run docs/generate.sh when this fails.
 */
class DocsPicturesTest {
    private static final Path PICTURES = ControlPlane.repoRoot().resolve("docs/pictures");
    private static final Pattern DOT_ITEM = Pattern.compile("^\\s+(rr\\d+|g\\d+)(?: -- (rr\\d+))?[ ;]");
    private static final Pattern SVG_TITLE = Pattern.compile("<title>([^<]*)</title>");

    @TestFactory
    List<DynamicTest> everyPictureIsWhatThePlanCommandPrintsNow() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (String line : Files.readAllLines(PICTURES.resolve("pictures.txt"))) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.trim().split("\\s+");
            String name = words[0];
            List<String> args = new ArrayList<>(List.of("plan"));
            args.addAll(List.of(words).subList(1, words.length));
            args.addAll(List.of("-o", "dot"));
            tests.add(DynamicTest.dynamicTest(name, () -> {
                PlanCommandTest.Run run = PlanCommandTest.run(args.toArray(String[]::new));
                assertThat(run.exit()).as(run.err()).isZero();
                String committed = Files.readString(PICTURES.resolve(name + ".dot"));
                assertThat(committed).as("docs/pictures/%s.dot is out of date: run docs/generate.sh", name)
                        .isEqualTo(run.out());
                String svg = Files.readString(PICTURES.resolve(name + ".svg"));
                assertThat(svgItems(svg)).as("docs/pictures/%s.svg was not rendered from %s.dot: run docs/generate.sh",
                        name, name).isEqualTo(dotItems(committed));
            }));
        }
        assertThat(tests).isNotEmpty();
        return tests;
    }

    /** The nodes ({@code rr1}) and lines ({@code g1--rr1}) of a dot text. */
    private static Set<String> dotItems(String dot) {
        Set<String> items = new TreeSet<>();
        for (String line : dot.lines().toList()) {
            Matcher m = DOT_ITEM.matcher(line);
            if (m.find()) {
                items.add(m.group(1) + (m.group(2) == null ? "" : "--" + m.group(2)));
            }
        }
        return items;
    }

    /** What Graphviz titles the nodes and lines of its SVG with, without the graph and the zone boxes. */
    private static Set<String> svgItems(String svg) {
        Set<String> items = new TreeSet<>();
        Matcher m = SVG_TITLE.matcher(svg);
        while (m.find()) {
            String title = m.group(1).replace("&#45;", "-");
            if (!title.equals("plan") && !title.startsWith("cluster_")) {
                items.add(title);
            }
        }
        return items;
    }
}
