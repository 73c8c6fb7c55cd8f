package dev.calicorr.core.config;

/**
 * A configuration value that cannot be used. Names the offending field (as the user writes it,
 * e.g. {@code spec.controllers.routereflector.ratio} or {@code ROUTE_REFLECTOR_RATIO}) so the log
 * line and the Event tell the user exactly what to fix.
 */
public class InvalidConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String field;

    public InvalidConfigException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
