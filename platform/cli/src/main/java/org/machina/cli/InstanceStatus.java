package org.machina.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What an instance is doing, worked out from its files and, when its daemon is alive, by asking the
 * monitor: {@code created} (never started or cleanly stopped before), {@code running}, {@code paused},
 * {@code shutdown} (the machine powered off; the daemon has ended), {@code crashed} (a pid file whose
 * process is gone or is not this instance's daemon), {@code unresponsive} (the daemon lives but its
 * monitor does not answer).
 */
record InstanceStatus(String name, String state, Optional<Long> pid, Optional<Instant> started, String board,
        String memory, Optional<String> detail) {
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);

    static InstanceStatus of(Instance i) {
        Optional<ProcessHandle> daemon = i.daemon();
        String state;
        Optional<String> detail = Optional.empty();
        if (daemon.isPresent()) {
            try (QmpClient q = QmpClient.connect(i.monitorSocket(), QUERY_TIMEOUT)) {
                JsonObject st = q.execute("query-status", null).getAsJsonObject();
                state = st.has("status") ? st.get("status").getAsString()
                        : st.has("running") && st.get("running").getAsBoolean() ? "running" : "paused";
            } catch (IOException | RuntimeException e) {
                state = "unresponsive";
                detail = Optional.of(String.valueOf(e.getMessage()));
            }
        } else if (Files.exists(i.pidFile())) {
            state = "crashed";
            detail = Optional.of("pid file names " + i.recordedPid().stream().mapToObj(Long::toString).findFirst()
                    .orElse("nothing readable") + ", which is not a running machina daemon for '" + i.name()
                    + "'; see " + i.daemonLog());
        } else if (Files.exists(i.shutdownFile())) {
            state = "shutdown";
            try {
                detail = Optional.of(Files.readString(i.shutdownFile()).trim());
            } catch (IOException e) {
                detail = Optional.empty();
            }
        } else {
            state = "created";
        }
        boolean live = daemon.isPresent();
        return new InstanceStatus(i.name(), state, daemon.map(ProcessHandle::pid), live ? i.started() : Optional.empty(),
                i.board(), i.memory(), detail);
    }

    /** Whole seconds since start, for a live daemon. */
    Optional<Long> uptimeSeconds() {
        return started.map(s -> Math.max(0, Duration.between(s, Instant.now()).toSeconds()));
    }

    static String formatUptime(Optional<Long> seconds) {
        if (seconds.isEmpty()) {
            return "-";
        }
        long s = seconds.get();
        return s >= 86400 ? String.format("%dd%02dh", s / 86400, s % 86400 / 3600)
                : String.format("%d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60);
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("name", name);
        o.addProperty("state", state);
        pid.ifPresent(p -> o.addProperty("pid", p));
        started.ifPresent(s -> o.addProperty("started", s.toString()));
        uptimeSeconds().ifPresent(u -> o.addProperty("uptime", u));
        o.addProperty("board", board);
        o.addProperty("memory", memory);
        detail.ifPresent(d -> o.addProperty("detail", d));
        return o;
    }
}
