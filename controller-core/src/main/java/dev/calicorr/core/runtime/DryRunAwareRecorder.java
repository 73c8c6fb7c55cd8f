package dev.calicorr.core.runtime;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.extended.event.EventType;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.util.Map;

/** Records Events, except in dry-run mode, where nothing at all may be written to the cluster. */
final class DryRunAwareRecorder implements EventRecorder {
    private final EventRecorder delegate;
    private final boolean dryRun;

    DryRunAwareRecorder(EventRecorder delegate, boolean dryRun) {
        this.delegate = delegate;
        this.dryRun = dryRun;
    }

    @Override
    public void event(KubernetesObject object, EventType t, String reason, String format, String... args) {
        if (!dryRun) {
            delegate.event(object, t, reason, format, args);
        }
    }

    @Override
    public void event(KubernetesObject object, Map<String, String> annotations, EventType t, String reason,
            String format, String... args) {
        if (!dryRun) {
            delegate.event(object, annotations, t, reason, format, args);
        }
    }

    @Override
    public void event(V1ObjectReference ref, EventType t, String reason, String format, String... args) {
        if (!dryRun) {
            delegate.event(ref, t, reason, format, args);
        }
    }

    @Override
    public void event(V1ObjectReference ref, Map<String, String> annotations, EventType t, String reason,
            String format, String... args) {
        if (!dryRun) {
            delegate.event(ref, annotations, t, reason, format, args);
        }
    }
}
