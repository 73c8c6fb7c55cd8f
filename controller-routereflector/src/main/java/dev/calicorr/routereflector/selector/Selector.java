package dev.calicorr.routereflector.selector;

import java.util.Map;

/**
 * A Calico label selector: {@code all()}, {@code has(k)}, {@code k == 'v'}, {@code k != 'v'},
 * {@code k in {'a','b'}}, {@code k not in {...}}, {@code !}, {@code &&}, {@code ||} and
 * parentheses. {@link #toString()} gives canonical Calico syntax that parses back to an equal
 * selector.
 */
public interface Selector {
    /** Calico refuses longer selectors. */
    int MAX_LENGTH = 1024;

    boolean matches(Map<String, String> labels);

    static Selector all() {
        return Selectors.ALL;
    }

    static Selector parse(String text) throws SelectorParseException {
        return new SelectorParser(text).parse();
    }
}
