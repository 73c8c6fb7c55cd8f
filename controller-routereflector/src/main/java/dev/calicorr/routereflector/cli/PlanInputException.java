package dev.calicorr.routereflector.cli;

/** An input the plan command cannot use: one line for the user, exit code 2. */
public final class PlanInputException extends Exception {
    private static final long serialVersionUID = 1L;

    public PlanInputException(String message) {
        super(message);
    }

    public PlanInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
