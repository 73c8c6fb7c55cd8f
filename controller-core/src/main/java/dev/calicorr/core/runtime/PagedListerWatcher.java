package dev.calicorr.core.runtime;

import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ListerWatcher;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.util.CallGeneratorParams;
import io.kubernetes.client.util.Watchable;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.options.ListOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * An informer's LIST in pages of {@link #PAGE_SIZE} objects ({@code limit} and {@code continue}),
 * each page slimmed by the type's transform before the next is read: a LIST of 20,000 nodes of
 * 15 KB is 300 MB of JSON, more than the whole heap of the Deployment, while one page is 7 MB. The
 * pages are read as one consistent snapshot (no {@code resourceVersion=0}: the watch cache may
 * answer that in one piece, ignoring the limit); the watch that follows starts at its version.
 */
final class PagedListerWatcher<T extends KubernetesObject, L extends KubernetesListObject>
        implements ListerWatcher<T, KubernetesListObject> {
    static final int PAGE_SIZE = 500;

    private final GenericKubernetesApi<T, L> api;
    private final TransformFunc transform;

    /** @param transform applied to each listed object as its page arrives (null: none) */
    PagedListerWatcher(GenericKubernetesApi<T, L> api, TransformFunc transform) {
        this.api = api;
        this.transform = transform;
    }

    @Override
    public KubernetesListObject list(CallGeneratorParams params) throws ApiException {
        List<KubernetesObject> items = new ArrayList<>();
        V1ListMeta first = null;
        String next = null;
        do {
            ListOptions options = new ListOptions();
            options.setLimit(PAGE_SIZE);
            options.setContinue(next);
            options.setTimeoutSeconds(params.timeoutSeconds);
            L page = api.list(options).throwsApiException().getObject();
            for (KubernetesObject item : page.getItems()) {
                items.add(transform == null ? item : transform.transform(item));
            }
            V1ListMeta meta = page.getMetadata();
            if (first == null) {
                first = meta;
            }
            next = meta == null ? null : meta.getContinue();
        } while (next != null && !next.isEmpty());
        return new Listed(new V1ListMeta().resourceVersion(first == null ? null : first.getResourceVersion()), items);
    }

    @Override
    public Watchable<T> watch(CallGeneratorParams params) throws ApiException {
        ListOptions options = new ListOptions();
        options.setResourceVersion(params.resourceVersion);
        options.setTimeoutSeconds(params.timeoutSeconds);
        return api.watch(options);
    }

    /** The pages as one list, at the first page's resourceVersion (the snapshot every page is read at). */
    private record Listed(V1ListMeta metadata, List<KubernetesObject> items) implements KubernetesListObject {
        @Override
        public V1ListMeta getMetadata() {
            return metadata;
        }

        @Override
        public List<? extends KubernetesObject> getItems() {
            return items;
        }

        @Override
        public String getApiVersion() {
            return null;
        }

        @Override
        public String getKind() {
            return null;
        }
    }
}
