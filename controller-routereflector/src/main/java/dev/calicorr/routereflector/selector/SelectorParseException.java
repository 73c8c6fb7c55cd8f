package dev.calicorr.routereflector.selector;

/** A selector that is not valid Calico syntax; the message says where and what was expected. */
public class SelectorParseException extends Exception {
    private static final long serialVersionUID = 1L;

    public SelectorParseException(String message) {
        super(message);
    }
}
