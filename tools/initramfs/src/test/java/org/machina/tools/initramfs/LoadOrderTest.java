package org.machina.tools.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LoadOrderTest {

    /** A catalog from a table, as a kernel's modinfo would give it. */
    record Table(Map<String, List<String>> deps, Set<String> builtins) implements LoadOrder.Catalog {
        public boolean builtin(String m) {
            return builtins.contains(m);
        }

        public Optional<List<String>> dependencies(String m) {
            return Optional.ofNullable(deps.get(m));
        }

        public String describe() {
            return "test kernel";
        }
    }

    /** The virtio set of Debian's 6.1.0-57-686, where virtio itself needs virtio_ring. */
    static final Table VIRTIO_6_1_192 = new Table(Map.of(
            "virtio_ring", List.of(),
            "virtio", List.of("virtio_ring"),
            "virtio_pci_legacy_dev", List.of(),
            "virtio_pci_modern_dev", List.of(),
            "virtio_pci", List.of("virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio", "virtio_ring"),
            "virtio_blk", List.of("virtio", "virtio_ring")), Set.of());

    @Test
    void dependenciesComeFirstWhateverOrderTheListGives() throws Exception {
        // The order the initramfs script used to hard-code: wrong for this kernel.
        List<String> given = List.of("virtio", "virtio_ring", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                "virtio_pci", "virtio_blk");
        List<String> order = LoadOrder.resolve(given, VIRTIO_6_1_192);
        assertEquals(List.of("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                "virtio_pci", "virtio_blk"), order);
        assertDependenciesFirst(order, VIRTIO_6_1_192);
    }

    @Test
    void addsEveryDependencyTransitivelyFromTheTopLevelDrivers() throws Exception {
        List<String> order = LoadOrder.resolve(List.of("virtio_blk", "virtio-pci"), VIRTIO_6_1_192);
        assertEquals(List.of("virtio_ring", "virtio", "virtio_blk", "virtio_pci_modern_dev",
                "virtio_pci_legacy_dev", "virtio_pci"), order);
        assertDependenciesFirst(order, VIRTIO_6_1_192);
    }

    @Test
    void builtInModulesAreSatisfiedAndLeftOut() throws Exception {
        Table t = new Table(Map.of("virtio_blk", List.of("virtio", "virtio_ring")), Set.of("virtio", "virtio_ring"));
        assertEquals(List.of("virtio_blk"), LoadOrder.resolve(List.of("virtio_blk"), t));
        assertEquals(List.of(), LoadOrder.resolve(List.of("virtio"), t));
    }

    @Test
    void aMissingModuleIsNamedWithTheModuleThatNeedsIt() {
        Table t = new Table(Map.of("e1000", List.of("ptp"), "ptp", List.of("pps_core")), Set.of());
        var e = assertThrows(LoadOrder.UnresolvableModule.class, () -> LoadOrder.resolve(List.of("e1000"), t));
        assertEquals("module pps_core (needed by ptp) is neither a module of nor built into test kernel", e.getMessage());
        var top = assertThrows(LoadOrder.UnresolvableModule.class, () -> LoadOrder.resolve(List.of("nosuch"), t));
        assertEquals("module nosuch is neither a module of nor built into test kernel", top.getMessage());
    }

    @Test
    void aCycleIsAnErrorShowingIt() {
        Table t = new Table(Map.of("a", List.of("b"), "b", List.of("c"), "c", List.of("a")), Set.of());
        var e = assertThrows(LoadOrder.UnresolvableModule.class, () -> LoadOrder.resolve(List.of("a"), t));
        assertTrue(e.getMessage().endsWith("a -> b -> c -> a"), e.getMessage());
    }

    static void assertDependenciesFirst(List<String> order, Table t) {
        for (int i = 0; i < order.size(); i++) {
            for (String dep : t.deps().get(order.get(i))) {
                int at = order.indexOf(dep);
                assertTrue(at >= 0 && at < i, dep + " must load before " + order.get(i) + " in " + order);
            }
        }
    }
}
