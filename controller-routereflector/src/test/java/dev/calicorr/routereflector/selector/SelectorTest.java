package dev.calicorr.routereflector.selector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SelectorTest {
    private static final Map<String, String> LABELS = Map.of("zone", "a", "rr", "", "example.com/pool", "x-1");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiterString = "=>", value = {
        "all()                                   => true",
        "''                                      => true",
        "has(rr)                                 => true",
        "!has(rr)                                => false",
        "has(missing)                            => false",
        "zone == 'a'                             => true",
        "zone == \"a\"                           => true",
        "zone != 'a'                             => false",
        "missing != 'a'                          => true",
        "zone in {'a', 'b'}                      => true",
        "zone not in {'a', 'b'}                  => false",
        "missing in {'a'}                        => false",
        "zone in {}                              => false",
        "example.com/pool == 'x-1' && has(rr)    => true",
        "zone == 'b' || has(rr)                  => true",
        "!(zone == 'b' || !has(rr))              => true",
        "zone == 'b' || zone == 'c' && has(rr)   => false",
        "(zone == 'a' || zone == 'b') && !has(x) => true",
    })
    void matchesLikeCalico(String text, boolean expected) throws Exception {
        String selector = text.equals("''") ? "" : text;
        assertThat(Selector.parse(selector).matches(LABELS)).isEqualTo(expected);
        // canonical text parses back to a selector that agrees
        assertThat(Selector.parse(Selector.parse(selector).toString()).matches(LABELS)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", value = {
        "zone ==              => expected a quoted value at 7",
        "has(                 => expected a label key at 4",
        "zone == 'a' &&       => expected a label key, 'has(', 'all()', '!' or '(' at 14",
        "(zone == 'a'         => expected ')' at 12",
        "zone = 'a'           => expected '==', '!=', 'in' or 'not in' after 'zone' at 5",
        "zone == 'a           => unterminated string at 8",
        "zone not {'a'}       => expected 'in' after 'not' at 9",
        "zone == 'a' junk     => expected '&&', '||' or the end at 12",
    })
    void errorsSayWhereAndWhat(String text, String message) {
        assertThatThrownBy(() -> Selector.parse(text)).isInstanceOf(SelectorParseException.class)
                .hasMessageStartingWith(message);
    }

    @org.junit.jupiter.api.Test
    void refusesSelectorsLongerThanCalicoAllows() {
        assertThatThrownBy(() -> Selector.parse("has(a) || ".repeat(103) + "has(b)"))
                .hasMessageContaining("at most 1024");
    }

    @org.junit.jupiter.api.Test
    void buildersQuoteSafely() throws Exception {
        assertThat(Selectors.in("idx", List.of("3", "1", "2"))).isEqualTo("idx in {'1', '2', '3'}");
        assertThat(Selectors.equal("k", "it's")).isEqualTo("k == \"it's\"");
        assertThat(Selector.parse(Selectors.equal("k", "it's")).matches(Map.of("k", "it's"))).isTrue();
    }

    @Property(tries = 300)
    void canonicalTextRoundTrips(@ForAll("selectors") String text, @ForAll("labels") Map<String, String> labels)
            throws Exception {
        Selector parsed = Selector.parse(text);
        Selector again = Selector.parse(parsed.toString());
        assertThat(again.toString()).isEqualTo(parsed.toString());
        assertThat(again.matches(labels)).isEqualTo(parsed.matches(labels));
    }

    @Provide
    Arbitrary<Map<String, String>> labels() {
        return Arbitraries.maps(Arbitraries.of("a", "b", "c"), Arbitraries.of("1", "2", "")).ofMaxSize(3);
    }

    @Provide
    Arbitrary<String> selectors() {
        Arbitrary<String> key = Arbitraries.of("a", "b", "c");
        Arbitrary<String> value = Arbitraries.of("'1'", "'2'", "''");
        Arbitrary<String> atom = Arbitraries.oneOf(
                key.map(k -> "has(" + k + ")"),
                Arbitraries.just("all()"),
                net.jqwik.api.Combinators.combine(key, Arbitraries.of("==", "!="), value).as((k, op, v) -> k + " " + op + " " + v),
                net.jqwik.api.Combinators.combine(key, Arbitraries.of("in", "not in"), value, value)
                        .as((k, op, v1, v2) -> k + " " + op + " {" + v1 + ", " + v2 + "}"));
        return Arbitraries.recursive(() -> atom, inner -> Arbitraries.oneOf(
                inner.map(s -> "!(" + s + ")"),
                net.jqwik.api.Combinators.combine(inner, inner).as((x, y) -> x + " && " + y),
                net.jqwik.api.Combinators.combine(inner, inner).as((x, y) -> "(" + x + ") || " + y)), 0, 3);
    }

    @Test
    void lastInReadsTheSetAnInSelectorOrTheLastAlternativeOfAWidenedOneSelects() throws Exception {
        String key = "calico-rr-controller/rr-index";
        assertThat(Selectors.lastIn(Selector.parse(Selectors.in(key, List.of("2", "10", "1"))), key))
                .contains(new java.util.TreeSet<>(List.of("1", "10", "2")));
        assertThat(Selectors.lastIn(Selector.parse("(" + key + " in {'1', '2'}) || (" + key + " in {\"1\", '4'})"), key))
                .contains(new java.util.TreeSet<>(List.of("1", "4")));
        assertThat(Selectors.lastIn(Selector.parse(key + " not in {'1'}"), key)).isEmpty();
        assertThat(Selectors.lastIn(Selector.parse("other in {'1'}"), key)).isEmpty();
        assertThat(Selectors.lastIn(Selector.parse("has(" + key + ")"), key)).isEmpty();
    }
}
