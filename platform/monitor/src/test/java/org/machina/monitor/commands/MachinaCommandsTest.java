package org.machina.monitor.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.machina.api.machine.BundleInfo;
import org.machina.api.machine.BundleService;
import org.machina.api.machine.HotSwapException;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;
import org.machina.monitor.QmpTestClient;
import org.machina.monitor.ServerFixture;

/** The x-machina-* commands through a socket, with fake bundle and machine services. */
@Timeout(60)
class MachinaCommandsTest extends ServerFixture {
    private final List<String> calls = new CopyOnWriteArrayList<>();

    private final BundleService bundles = new BundleService() {
        @Override
        public List<BundleInfo> bundles() {
            return List.of(new BundleInfo(7, "org.machina.devices.pc", "0.1.0", "ACTIVE",
                    List.of("device:isa-serial", "device:i8254")));
        }

        @Override
        public BundleInfo install(String location) {
            calls.add("install " + location);
            return new BundleInfo(8, "org.example.dev", "1.0.0", "ACTIVE", List.of());
        }

        @Override
        public BundleInfo update(String bundle, String location) {
            calls.add("update " + bundle + " " + location);
            throw new HotSwapException("hot-swap of 'serial0' failed: state version 3 unknown; rolled back");
        }

        @Override
        public void uninstall(String bundle, boolean force) {
            calls.add("uninstall " + bundle + " " + force);
        }
    };

    private final MachineService machines = new MachineService() {
        @Override
        public Machine create(String name, String descriptionJson) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Machine> machines() {
            return List.of();
        }

        @Override
        public Optional<Machine> find(String name) {
            return Optional.empty();
        }

        @Override
        public Map<String, List<String>> installedTypes() {
            return Map.of("device", List.of("isa-serial", "i8254"), "board", List.of("pc"));
        }
    };

    private void register(boolean withServices) {
        List<BundleCommand> commands = new ArrayList<>(List.of(new BundleList(), new BundleInstall(),
                new BundleUpdate(), new BundleUninstall()));
        for (BundleCommand c : commands) {
            if (withServices) {
                switch (c) {
                    case BundleList l -> l.bundles = bundles;
                    case BundleInstall i -> i.bundles = bundles;
                    case BundleUpdate u -> u.bundles = bundles;
                    case BundleUninstall u -> u.bundles = bundles;
                    default -> throw new AssertionError();
                }
            }
            registry.add(c);
        }
        DeviceTypes types = new DeviceTypes();
        if (withServices) {
            types.machines = machines;
        }
        registry.add(types);
    }

    @Test
    void bundleCommandsGoThroughTheBundleService() throws IOException {
        register(true);
        try (QmpTestClient c = client()) {
            JsonArray list = c.execute("{\"execute\":\"x-machina-bundle-list\"}").getAsJsonArray("return");
            JsonObject b = list.get(0).getAsJsonObject();
            assertEquals(7, b.get("id").getAsLong());
            assertEquals("org.machina.devices.pc", b.get("symbolic-name").getAsString());
            assertEquals("device:i8254", b.getAsJsonArray("provides").get(1).getAsString());

            JsonObject installed = c.execute("{\"execute\":\"x-machina-bundle-install\",\"arguments\":"
                    + "{\"location\":\"file:/tmp/dev.jar\"}}").getAsJsonObject("return");
            assertEquals(8, installed.get("id").getAsLong());

            JsonObject failed = c.execute("{\"execute\":\"x-machina-bundle-update\",\"arguments\":"
                    + "{\"bundle\":7,\"location\":\"/tmp/new.jar\"}}");
            assertEquals("GenericError", failed.getAsJsonObject("error").get("class").getAsString());
            assertTrue(failed.getAsJsonObject("error").get("desc").getAsString().contains("rolled back"));

            assertTrue(c.execute("{\"execute\":\"x-machina-bundle-uninstall\",\"arguments\":"
                    + "{\"bundle\":\"org.example.dev\",\"force\":true}}").has("return"));
            assertTrue(c.execute("{\"execute\":\"x-machina-bundle-uninstall\",\"arguments\":"
                    + "{\"bundle\":\"8\"}}").has("return"));
            JsonObject badForce = c.execute("{\"execute\":\"x-machina-bundle-uninstall\",\"arguments\":"
                    + "{\"bundle\":\"8\",\"force\":\"yes\"}}");
            assertEquals("Invalid parameter type for 'force', expected: boolean",
                    badForce.getAsJsonObject("error").get("desc").getAsString());
            assertEquals(List.of("install file:/tmp/dev.jar", "update 7 /tmp/new.jar",
                    "uninstall org.example.dev true", "uninstall 8 false"), calls);

            JsonObject types = c.execute("{\"execute\":\"x-machina-device-types\"}").getAsJsonObject("return");
            assertEquals("pc", types.getAsJsonArray("board").get(0).getAsString());
            assertEquals(2, types.getAsJsonArray("device").size());
        }
    }

    @Test
    void withoutTheRuntimeServicesTheCommandsSaySo() throws IOException {
        register(false);
        try (QmpTestClient c = client()) {
            JsonObject r = c.execute("{\"execute\":\"x-machina-bundle-list\"}");
            assertTrue(r.getAsJsonObject("error").get("desc").getAsString().contains("BundleService"));
            r = c.execute("{\"execute\":\"x-machina-device-types\"}");
            assertTrue(r.getAsJsonObject("error").get("desc").getAsString().contains("MachineService"));
        }
    }
}
