package dev.calicorr.routereflector.selector;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Recursive-descent parser of Calico's selector grammar:
 * <pre>
 * or      := and ('||' and)*
 * and     := unary ('&&' unary)*
 * unary   := '!' unary | '(' or ')' | 'all()' | 'has(' key ')' | key op
 * op      := ('==' | '!=') value | ['not'] 'in' '{' [value (',' value)*] '}'
 * </pre>
 */
final class SelectorParser {
    private final String text;
    private int pos;

    SelectorParser(String text) {
        this.text = text == null ? "" : text;
    }

    Selector parse() throws SelectorParseException {
        if (text.length() > Selector.MAX_LENGTH) {
            throw new SelectorParseException("selector is " + text.length() + " characters; Calico allows at most "
                    + Selector.MAX_LENGTH);
        }
        skipSpace();
        if (pos == text.length()) {
            return Selector.all(); // Calico treats an empty selector as all()
        }
        Selector result = or();
        skipSpace();
        if (pos != text.length()) {
            throw error("expected '&&', '||' or the end");
        }
        return result;
    }

    private Selector or() throws SelectorParseException {
        List<Selector> parts = new ArrayList<>();
        parts.add(and());
        while (consume("||")) {
            parts.add(and());
        }
        return parts.size() == 1 ? parts.get(0) : new Selectors.Or(List.copyOf(parts));
    }

    private Selector and() throws SelectorParseException {
        List<Selector> parts = new ArrayList<>();
        parts.add(unary());
        while (consume("&&")) {
            parts.add(unary());
        }
        return parts.size() == 1 ? parts.get(0) : new Selectors.And(List.copyOf(parts));
    }

    private Selector unary() throws SelectorParseException {
        skipSpace();
        if (peek("!") && !peek("!=")) {
            pos++;
            return new Selectors.Not(unary());
        }
        if (consume("(")) {
            Selector inner = or();
            expect(")");
            return inner;
        }
        int start = pos;
        String word = key();
        if (word.equals("all") && consume("(")) {
            expect(")");
            return Selector.all();
        }
        if (word.equals("has") && consume("(")) {
            String key = key();
            if (key.isEmpty()) {
                throw error("expected a label key");
            }
            expect(")");
            return new Selectors.Has(key);
        }
        if (word.isEmpty()) {
            pos = start;
            throw error("expected a label key, 'has(', 'all()', '!' or '('");
        }
        if (consume("==")) {
            return new Selectors.Equals(word, value(), false);
        }
        if (consume("!=")) {
            return new Selectors.Equals(word, value(), true);
        }
        boolean negated = consumeWord("not");
        if (consumeWord("in")) {
            return new Selectors.In(word, set(), negated);
        }
        throw error(negated ? "expected 'in' after 'not'" : "expected '==', '!=', 'in' or 'not in' after '" + word + "'");
    }

    private TreeSet<String> set() throws SelectorParseException {
        expect("{");
        TreeSet<String> values = new TreeSet<>();
        skipSpace();
        if (consume("}")) {
            return values;
        }
        do {
            values.add(value());
        } while (consume(","));
        expect("}");
        return values;
    }

    private String value() throws SelectorParseException {
        skipSpace();
        if (pos < text.length() && (text.charAt(pos) == '\'' || text.charAt(pos) == '"')) {
            char quote = text.charAt(pos);
            int end = text.indexOf(quote, pos + 1);
            if (end < 0) {
                throw error("unterminated string");
            }
            String value = text.substring(pos + 1, end);
            pos = end + 1;
            return value;
        }
        throw error("expected a quoted value");
    }

    private String key() {
        skipSpace();
        int start = pos;
        while (pos < text.length() && isKeyChar(text.charAt(pos))) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private static boolean isKeyChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.' || c == '/';
    }

    private boolean consumeWord(String word) {
        skipSpace();
        int end = pos + word.length();
        if (text.startsWith(word, pos) && (end == text.length() || !isKeyChar(text.charAt(end)))) {
            pos = end;
            return true;
        }
        return false;
    }

    private boolean peek(String token) {
        skipSpace();
        return text.startsWith(token, pos);
    }

    private boolean consume(String token) {
        if (peek(token)) {
            pos += token.length();
            return true;
        }
        return false;
    }

    private void expect(String token) throws SelectorParseException {
        if (!consume(token)) {
            throw error("expected '" + token + "'");
        }
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private SelectorParseException error(String expected) {
        return new SelectorParseException(expected + " at " + pos + " in \"" + text + "\"");
    }
}
