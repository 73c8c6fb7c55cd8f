package dev.calicorr.routereflector.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.routereflector.plan.Step;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class ConcurrentStepsTest {
    private static List<Step> moves(int n) {
        List<Step> moves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            moves.add(new Step.PatchNode("node-" + i, Map.of("group", "1"), Map.of(), "client of group 1", true));
        }
        return moves;
    }

    private static V1Node written(Step step) {
        return new V1Node().metadata(new V1ObjectMeta().name(((Step.PatchNode) step).node()));
    }

    @Test
    void everyStepIsWrittenOnceWithAtMostTheBoundInFlightAndReportedInTheBatchOrder() throws Exception {
        List<Step> batch = moves(200);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<String> reported = new ArrayList<>();
        int count = new ConcurrentSteps().run(batch, step -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            threads.add(Thread.currentThread().getName());
            LockSupport.parkNanos(2_000_000); // a write takes a while
            inFlight.decrementAndGet();
            return written(step);
        }, (step, result) -> reported.add(result.getMetadata().getName()));

        assertThat(count).isEqualTo(200);
        assertThat(reported).isEqualTo(batch.stream().map(step -> ((Step.PatchNode) step).node()).toList());
        assertThat(mostInFlight.get()).isBetween(2, ConcurrentSteps.WRITERS);
        assertThat(threads).hasSizeGreaterThan(1);
    }

    @Test
    void theFirstFailureStopsNewWritesReportsTheDoneOnesAndIsRethrownAsItWas() {
        List<Step> batch = moves(500);
        AtomicInteger attempted = new AtomicInteger();
        List<String> reported = Collections.synchronizedList(new ArrayList<>());
        assertThatThrownBy(() -> new ConcurrentSteps().run(batch, step -> {
            if (attempted.incrementAndGet() == 50) {
                throw new ApiUnavailableException("apiserver went away", null);
            }
            return written(step);
        }, (step, result) -> reported.add(result.getMetadata().getName())))
                .isInstanceOf(ApiUnavailableException.class).hasMessage("apiserver went away");
        // the writes under way finish; no new one starts after the failure
        assertThat(attempted.get()).isLessThan(50 + ConcurrentSteps.WRITERS);
        assertThat(reported).hasSize(attempted.get() - 1).doesNotHaveDuplicates();
    }
}
