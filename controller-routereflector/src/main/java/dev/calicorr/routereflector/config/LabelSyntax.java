package dev.calicorr.routereflector.config;

import java.util.regex.Pattern;

/** Kubernetes label key and value syntax, checked before a value reaches a node or a selector. */
public final class LabelSyntax {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private LabelSyntax() {
    }

    /** Null when {@code key} is a valid label key ({@code [prefix/]name}), else what is wrong. */
    public static String keyProblem(String key) {
        if (key == null || key.isEmpty()) {
            return "a label key must not be empty";
        }
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                return "'" + key + "': the prefix before '/' must be a DNS subdomain (lower case, digits, '-', '.')";
            }
        }
        if (name.length() > 63 || !NAME.matcher(name).matches()) {
            return "'" + key + "': a label name is at most 63 characters of letters, digits, '-', '_', '.', "
                    + "starting and ending with a letter or digit";
        }
        return null;
    }

    /** Null when {@code value} is a valid label value (may be empty), else what is wrong. */
    public static String valueProblem(String value) {
        if (value.isEmpty()) {
            return null;
        }
        if (value.length() > 63 || !NAME.matcher(value).matches()) {
            return "'" + value + "': a label value is at most 63 characters of letters, digits, '-', '_', '.', "
                    + "starting and ending with a letter or digit";
        }
        return null;
    }
}
