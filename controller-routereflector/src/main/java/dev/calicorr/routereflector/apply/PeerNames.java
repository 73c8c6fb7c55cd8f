package dev.calicorr.routereflector.apply;

import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.model.Names;
import io.kubernetes.client.informer.cache.Indexer;
import java.util.Map;

/**
 * The BGPPeer object that holds a peer the planner names. Mostly the same name; but when a BGPPeer
 * that we do not manage already has a name the planner uses (e.g. a user's own {@code rrc-mesh}),
 * that object is left alone and ours is created as {@code <name>}{@value #RENAMED_SUFFIX} with the
 * planned name in the annotation {@value #PLANNED_NAME_ANNOTATION}. The suffix has a dot, which no
 * planned name has, so a renamed peer never takes another planned name.
 */
public final class PeerNames {
    public static final String PLANNED_NAME_ANNOTATION = Names.CONTROLLER_NAME + "/planned-name";
    public static final String RENAMED_SUFFIX = ".renamed";

    private final Indexer<BgpPeer> peers;

    /** @param peers the BGPPeer cache, or null where every peer has its planned name (tools, tests) */
    PeerNames(Indexer<BgpPeer> peers) {
        this.peers = peers;
    }

    /** The planned name of a BGPPeer we own: its annotation, or its own name. */
    public static String plannedName(BgpPeer peer) {
        Map<String, String> annotations = peer.getMetadata().getAnnotations();
        String planned = annotations == null ? null : annotations.get(PLANNED_NAME_ANNOTATION);
        return planned == null ? peer.getMetadata().getName() : planned;
    }

    static String renamed(String planned) {
        return planned + RENAMED_SUFFIX;
    }

    /** The name of the object that holds (or will hold) the peer the planner calls {@code planned}. */
    String objectName(String planned) {
        if (peers == null) {
            return planned;
        }
        BgpPeer renamed = peers.getByKey(renamed(planned));
        return renamed != null && StepExecutor.isOwned(renamed) ? renamed(planned) : planned;
    }
}
