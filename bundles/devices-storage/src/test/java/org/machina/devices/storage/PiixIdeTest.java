package org.machina.devices.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.device.DeviceContext;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The PIIX3 IDE function: where it plugs and maps, its PCI identity and registers, drive places, state. */
class PiixIdeTest {
    final Map<Long, MemoryRegion> ports = new HashMap<>();
    final Map<Integer, Boolean> isaIrqs = new HashMap<>();
    final List<String> plugged = new java.util.ArrayList<>();
    final byte[] pciConfig = new byte[256];
    PciEndpoint endpoint;
    Object registeredBus;
    PiixIde ide;

    /** A context answering what the controller uses: memory, ports, ISA IRQs, the PCI bus, bus registration. */
    private DeviceContext context() {
        FakeRam ram = new FakeRam(1 << 16);
        IoSpace io = (IoSpace) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {IoSpace.class},
                (p, m, a) -> {
                    if (m.getName().equals("map")) {
                        ports.put((Long) a[0], (MemoryRegion) a[1]);
                        return null;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        PciSlot slot = (PciSlot) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {PciSlot.class},
                (p, m, a) -> switch (m.getName()) {
                    case "busMaster" -> true;
                    case "saveConfig" -> pciConfig.clone();
                    case "loadConfig" -> {
                        System.arraycopy((byte[]) a[0], 0, pciConfig, 0, 256);
                        yield null;
                    }
                    case "unplug" -> {
                        plugged.add("unplug");
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        PciBus bus = new PciBus() {
            @Override
            public PciSlot plug(String name, PciEndpoint e, int s) {
                throw new AssertionError("function 0 not expected");
            }

            @Override
            public PciSlot plug(String name, PciEndpoint e, int s, int function) {
                plugged.add(name + " " + s + "." + function);
                endpoint = e;
                return slot;
            }
        };
        return (DeviceContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DeviceContext.class},
                (p, m, a) -> switch (m.getName()) {
                    case "id" -> "ide";
                    case "memory" -> ram;
                    case "io" -> io;
                    case "log" -> LoggerFactory.getLogger("test.ide");
                    case "irq" -> {
                        int n = (Integer) a[1];
                        assertEquals("isa", a[0]);
                        yield new IrqLine() {
                            @Override
                            public void set(boolean level) {
                                isaIrqs.put(n, level);
                            }

                            @Override
                            public boolean level() {
                                return isaIrqs.getOrDefault(n, false);
                            }
                        };
                    }
                    case "bus" -> bus;
                    case "fastPath" -> org.machina.api.fastpath.FastPathRegistry.NONE;
                    case "registerBus" -> {
                        registeredBus = a[1];
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @BeforeEach
    void setUp() {
        ide = new PiixIde(context(), 1, 1);
        ide.realize();
        ide.reset();
    }

    @Test
    void plugsAt0011MapsTheLegacyPortsAndOffersTheIdeBus() {
        assertEquals(List.of("ide 1.1"), plugged);
        assertEquals(java.util.Set.of(0x1F0L, 0x3F6L, 0x170L, 0x376L), ports.keySet());
        assertEquals(8, ports.get(0x1F0L).size());
        assertEquals(1, ports.get(0x3F6L).size());
        assertEquals(ide, registeredBus);
        assertEquals(0x8086, endpoint.header().vendor());
        assertEquals(0x7010, endpoint.header().device());
        assertEquals(0x010180, endpoint.header().classCode(), "IDE, legacy mode, bus-master capable");
        assertEquals(0, endpoint.header().interruptPin(), "legacy IRQs 14 and 15, no INTx");
        List<PciBar> bars = endpoint.bars();
        assertEquals(1, bars.size());
        assertEquals(4, bars.get(0).index());
        assertTrue(bars.get(0).io());
        assertEquals(16, bars.get(0).region().size());
        assertEquals(0x8000, endpoint.configRead(0x40, 2), "primary IDE decode enabled, as a BIOS leaves it");
        assertEquals(0x8000, endpoint.configRead(0x42, 2), "secondary IDE decode enabled");
        endpoint.configWrite(0x40, 2, 0xA307);
        assertEquals(0xA307, endpoint.configRead(0x40, 2));
        endpoint.configWrite(0x80, 1, 0x55);
        assertEquals(0, endpoint.configRead(0x80, 1), "unimplemented registers read 0");
    }

    @Test
    void drivesTakeTheFirstFreePlaceOrTheOneAskedAndInterruptsGoToIrq14And15() {
        FakeDisk d = new FakeDisk(1 << 20, false);
        assertEquals("1.0", ide.attach("cd", 1, 0, new AtapiCdrom(new FakeDisk(1 << 20, true), "c", "cd")));
        assertEquals("0.0", ide.attach("a", -1, -1, new AtaDisk(d, "a", "a")));
        assertEquals("0.1", ide.attach("b", -1, -1, new AtaDisk(d, "b", "b")));
        assertEquals("1.1", ide.attach("c", -1, -1, new AtaDisk(d, "c", "c")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ide.attach("e", 0, 1, new AtaDisk(d, "e", "e")));
        assertTrue(e.getMessage().contains("no free IDE place on bus ide.0 at unit 1"), e.getMessage());
        MemoryRegion.Io secondary = (MemoryRegion.Io) ports.get(0x170L);
        secondary.ops().write(6, 1, 0xB0);
        secondary.ops().write(7, 1, 0xE7);                  // FLUSH CACHE on ide.1 unit 1
        assertEquals(true, isaIrqs.get(15));
        assertEquals(0x50L, secondary.ops().read(7, 1));
        assertEquals(false, isaIrqs.get(15));
        assertEquals(null, isaIrqs.get(14), "the primary channel's IRQ never moved");
    }

    @Test
    void busMasterRegistersAndStateRoundTrip() {
        MemoryRegion.Io bm = endpoint.bars().get(0).region();
        bm.ops().write(8 + 4, 4, 0x12345677L);                 // secondary PRD table, bits 1:0 read 0
        bm.ops().write(2, 1, 0x60);                           // primary: both drives DMA capable
        assertEquals(0x12345674L, bm.ops().read(8 + 4, 4));
        assertEquals(0x60L, bm.ops().read(2, 1));
        ((MemoryRegion.Io) ports.get(0x3F6L)).ops().write(0, 1, 0x02);
        pciConfig[0x20] = 0x41;                               // where the guest put BAR4
        endpoint.configWrite(0x40, 2, 0x8303);
        PiixIde.State s = ide.saveState();

        PiixIde again = new PiixIde(context(), 1, 1);
        again.realize();
        java.util.Arrays.fill(pciConfig, (byte) 0);
        again.loadState(s);
        assertEquals(0x41, pciConfig[0x20], "the PCI config space came back");
        MemoryRegion.Io bm2 = endpoint.bars().get(0).region();
        assertEquals(0x12345674L, bm2.ops().read(8 + 4, 4));
        assertEquals(0x60L, bm2.ops().read(2, 1));
        assertEquals(0x8303, endpoint.configRead(0x40, 2));
        assertEquals(IdeChannel.CTL_NIEN, again.channels[0].control);
        assertArrayEquals(s.busMaster(), again.saveState().busMaster());
        again.unrealize();
        assertTrue(plugged.contains("unplug"));
    }
}
