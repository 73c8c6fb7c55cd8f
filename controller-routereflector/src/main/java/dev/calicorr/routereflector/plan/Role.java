package dev.calicorr.routereflector.plan;

/** The role a node ends this plan in. */
enum Role {
    /** a route reflector of the target topology */
    TARGET,
    /** an obsolete RR that keeps serving until its replacements have served for removalDelay */
    DRAINING,
    /** an obsolete RR demoted by this plan; a client afterwards */
    DEMOTE,
    CLIENT,
    /** has a cluster ID we did not give (no RR label): someone else's RR, left alone */
    FOREIGN
}
