package org.machina.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;

/**
 * The other machines of {@code machina run --with-machine NAME=FILE.json}: built in the same
 * runtime as the main machine (so that, say, their {@code ohci-1394,bus-name=...} controllers share a
 * bus), started with it and shut down when it ends. The terminal belongs to the main machine: a
 * description whose chardev is {@code stdio} is refused.
 */
final class PeerMachines {
    private PeerMachines() {
    }

    static Machine create(MachineService machines, String name, Path file) throws IOException {
        if (name.equals("run")) {
            throw new QemuOptions.UsageException("--with-machine " + name + "=" + file + ": 'run' is the main machine's name");
        }
        String json = Files.readString(file);
        JsonElement chardevs = JsonParser.parseString(json).getAsJsonObject().get("chardevs");
        if (chardevs != null && chardevs.isJsonArray()) {
            for (JsonElement c : chardevs.getAsJsonArray()) {
                JsonObject o = c.isJsonObject() ? c.getAsJsonObject() : new JsonObject();
                if (o.has("backend") && o.get("backend").getAsString().equals("stdio")) {
                    throw new QemuOptions.UsageException("--with-machine " + name + "=" + file + ": chardev '"
                            + (o.has("id") ? o.get("id").getAsString() : "?")
                            + "' is stdio, which the main machine has; use a file or socket backend");
                }
            }
        }
        return machines.create(name, json);
    }

    /** Shuts the machines down (power off at once) and waits a little for each. */
    static void shutdown(List<Machine> machines, String why) {
        for (Machine o : machines) {
            o.shutdown(why, 0);
        }
        for (Machine o : machines) {
            try {
                o.awaitShutdown(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
