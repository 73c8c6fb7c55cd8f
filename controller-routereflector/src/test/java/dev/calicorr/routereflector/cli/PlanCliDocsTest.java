package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.testsupport.ControlPlane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The examples of docs/plan-cli.md are real output: every fenced block that starts with
 * {@code $ kube-controllers plan ...} is run through the jar's entry point and its stdout and
 * stderr compared with the block (a last line {@code ...} compares the lines above it as a prefix;
 * {@code $ echo $?} prints the exit code). Examples that need a file of a customer's cluster are
 * named in {@link #NOT_RUN}, with the reason.
 */
class PlanCliDocsTest {
    private static final Path DOC = ControlPlane.repoRoot().resolve("docs/plan-cli.md");
    private static final String PROMPT = "$ kube-controllers ";
    /** Needs cluster.yaml, a file made with the simulator, and prints the instants of its run. */
    private static final List<String> NOT_RUN = List.of(
            "$ kube-controllers plan --nodes cluster.yaml --set ratio=0.1 --diff; echo \"exit $?\"");

    record Example(String command, List<String> expected) {
    }

    @TestFactory
    List<DynamicTest> everyExampleIsWhatThePlanCommandPrints() throws Exception {
        List<Example> examples = examples(Files.readAllLines(DOC));
        List<String> skipped = new ArrayList<>();
        List<DynamicTest> tests = new ArrayList<>();
        for (Example example : examples) {
            if (NOT_RUN.contains(example.command())) {
                skipped.add(example.command());
                continue;
            }
            tests.add(DynamicTest.dynamicTest(example.command(), () -> {
                List<String> args = words(example.command().substring(PROMPT.length()));
                PlanCommandTest.Run run = PlanCommandTest.run(args.toArray(String[]::new));
                List<String> actual = new ArrayList<>(run.out().lines().toList());
                actual.addAll(run.err().lines().toList());
                List<String> expected = new ArrayList<>(example.expected());
                int echo = expected.indexOf("$ echo $?");
                if (echo >= 0) {
                    actual.add("$ echo $?");
                    actual.add(Integer.toString(run.exit()));
                } else {
                    assertThat(run.exit()).as(run.err()).isZero();
                }
                if (!expected.isEmpty() && expected.get(expected.size() - 1).equals("...")) {
                    expected.remove(expected.size() - 1);
                    assertThat(actual.size()).isGreaterThanOrEqualTo(expected.size());
                    actual = actual.subList(0, expected.size());
                }
                assertThat(String.join("\n", actual)).as("docs/plan-cli.md: %s", example.command())
                        .isEqualTo(String.join("\n", expected));
            }));
        }
        assertThat(skipped).as("examples named in NOT_RUN").containsExactlyElementsOf(NOT_RUN);
        assertThat(tests).hasSizeGreaterThanOrEqualTo(4);
        return tests;
    }

    /** Fenced blocks whose first line is a plan command: the command and the lines after it. */
    static List<Example> examples(List<String> lines) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("```") && i + 1 < lines.size() && lines.get(i + 1).startsWith(PROMPT)) {
                int end = i + 2;
                while (!lines.get(end).equals("```")) {
                    end++;
                }
                examples.add(new Example(lines.get(i + 1), List.copyOf(lines.subList(i + 2, end))));
                i = end;
            }
        }
        return examples;
    }

    /** The words of a command line as a POSIX shell splits them, for the quoting the examples use. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (char c : line.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                word = word == null ? new StringBuilder() : word;
            } else if (c == ' ') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                word = word == null ? new StringBuilder() : word;
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
