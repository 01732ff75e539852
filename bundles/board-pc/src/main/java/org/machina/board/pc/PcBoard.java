package org.machina.board.pc;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.machina.api.board.Board;
import org.machina.api.board.BoardContext;
import org.machina.api.board.BoardType;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.device.PropertySpec;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.RamBlock;
import org.machina.board.pc.acpi.AcpiConfig;
import org.machina.board.pc.acpi.AcpiTables;
import org.osgi.service.component.annotations.Component;

/**
 * The {@code pc} board: an i440FX/PIIX3-like PC with RAM laid out as in {@link PcMemoryMap},
 * PCI configuration mechanism #1, the legacy ISA devices, and two boot paths: firmware
 * ({@code -bios}, run from the reset vector) or direct Linux boot through a generated boot ROM
 * ({@link LinuxBootRom}) that enters the kernel with the 32-bit boot protocol.
 */
@Component(service = BoardType.class, property = "machina.name=pc")
public final class PcBoard implements BoardType {
    static final String NAME = "pc";
    /** Priority of ROM aliases below 1 MiB, above the RAM underneath. */
    static final int ROM_PRIORITY = 1;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Standard PC (i440FX-like host bridge, PIIX3-like ISA bridge, legacy ISA devices)";
    }

    /** Board property: ACPI (PM registers, and tables for direct kernel boot). */
    static final String ACPI = "acpi";
    /** Board property: the HPET, as QEMU's {@code -machine pc,hpet=off}. */
    static final String HPET = "hpet";
    /** I/O base of the ACPI PM block (PM1a_EVT, PM1a_CNT, PM_TMR) and the SCI's IRQ. */
    static final int PM_BASE = 0x600;
    static final int SCI_IRQ = 9;
    static final long HPET_BASE = 0xFED0_0000L;
    /** The low 32 bits of the HPET's GCAP_ID, repeated in the ACPI HPET table (as the hpet device reports). */
    static final int HPET_BLOCK_ID = 0x8086_A201;
    /** The local APIC (device {@code apic}) and the I/O APIC (device {@code ioapic}) of {@code -cpu MODEL,+apic}. */
    static final long LAPIC_BASE = 0xFEE0_0000L;
    static final long IOAPIC_BASE = 0xFEC0_0000L;
    /** The I/O APIC's APIC id (the CPU's local APIC is 0). */
    static final int IOAPIC_ID = 1;
    /** The CPU feature that asks for the APICs. */
    static final String APIC_FEATURE = "apic";

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.bool(ACPI, true, "ACPI: PM registers, SCI, power button, S5 power-off, and tables for -kernel"),
                PropertySpec.bool(HPET, true, "HPET at 0xFED00000 (legacy replacement of the PIT and RTC interrupts)"));
    }

    @Override
    public String defaultCpuType() {
        return "x86";
    }

    @Override
    public String defaultCpuModel() {
        return "pentium3";
    }

    @Override
    public Board build(BoardContext context) {
        long ramSize = context.ramSize();
        if (ramSize < PcMemoryMap.MIN_RAM || ramSize % RamBlock.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("memory size " + ramSize + " bytes is not usable by the pc board: it needs"
                    + " at least 2 MiB, in whole 4 KiB pages");
        }
        if (context.firmware().isPresent() && context.kernel().isPresent()) {
            throw new IllegalArgumentException("the pc board boots either firmware (-bios) or a kernel (-kernel), not both");
        }
        if (context.initrd().isPresent() && context.kernel().isEmpty()) {
            throw new IllegalArgumentException("an initrd (-initrd) needs a kernel (-kernel)");
        }
        if (context.firmware().isEmpty() && context.kernel().isEmpty()) {
            throw new IllegalArgumentException("the pc board has no built-in BIOS: give a kernel (-kernel bzImage) or "
                    + "firmware (-bios ROM)");
        }

        // Boot files are read and checked before anything is mapped, so a bad file changes nothing.
        boolean acpi = context.boardConfig().bool(ACPI);
        boolean hpet = context.boardConfig().bool(HPET);
        boolean apic = cpuHasApic(context);
        LinuxLoader.Plan plan = null;
        AcpiTables.Result tables = null;
        byte[] rom;
        String romName;
        if (context.kernel().isPresent()) {
            Path kernelPath = context.kernel().get();
            BzImage image = BzImage.parse(readFile("kernel", kernelPath), kernelPath.toString());
            byte[] initrd = context.initrd().isPresent() ? readFile("initrd", context.initrd().get()) : new byte[0];
            if (acpi) {
                tables = AcpiTables.build(acpiConfig(hpet, apic), PcMemoryMap.ACPI_TABLES);
            }
            plan = LinuxLoader.plan(image, initrd, context.kernelCommandLine(), ramSize, LinuxBootRom.SIZE, tables);
            rom = LinuxBootRom.build(LinuxLoader.KERNEL, LinuxLoader.ZERO_PAGE);
            romName = "pc.bootrom";
        } else {
            Path fw = context.firmware().get();
            rom = readFile("firmware", fw);
            Firmware.check(fw.toString(), rom.length);
            romName = "pc.bios";
        }

        RamBlock ram = context.allocateRam("pc.ram", ramSize);
        mapRam(context.memory(), ram, ramSize);
        if (PcMemoryMap.unmappedRam(ramSize) > 0) {
            context.log().warn("{} MiB of RAM above the 3.5 GiB PCI hole are not mapped (no high memory support yet)",
                    PcMemoryMap.unmappedRam(ramSize) >> 20);
        }
        mapRom(context, romName, rom);

        PciHost pci = new PciHost();
        pci.add(PciFunction.i440fxHostBridge());
        pci.add(PciFunction.piix3IsaBridge());
        pci.map(context.io());
        IrqLine[] isaLines = new IrqLine[16];
        pci.connect(context.memory(), n -> {
            if (isaLines[n] == null) {
                isaLines[n] = context.irq("isa", n);
            }
            return isaLines[n];
        });
        context.registerBus(PciBus.NAME, pci);
        connectA20(context);
        ApicWiring wiring = apic ? new ApicWiring(context, levelIrqs()) : null;

        addDefaultDevices(context, ramSize, acpi, hpet, apic);
        return new PcMachine(context, ram, pci, plan, tables, wiring);
    }

    /** Maps RAM: 0-640 KiB, the option ROM/BIOS area 0xC0000-0xFFFFF, and 1 MiB up to the PCI hole. */
    static void mapRam(AddressSpace memory, RamBlock ram, long ramSize) {
        memory.map(0, new MemoryRegion.Ram("pc.ram.low", ram, 0, PcMemoryMap.LOW_RAM_END));
        memory.map(PcMemoryMap.VGA_END, new MemoryRegion.Ram("pc.ram.isa-rom", ram, PcMemoryMap.VGA_END,
                PcMemoryMap.HIGH_RAM_START - PcMemoryMap.VGA_END));
        long top = PcMemoryMap.ramTop(ramSize);
        memory.map(PcMemoryMap.HIGH_RAM_START, new MemoryRegion.Ram("pc.ram.high", ram, PcMemoryMap.HIGH_RAM_START,
                top - PcMemoryMap.HIGH_RAM_START));
    }

    /** Maps a ROM image ending at 4 GiB, and its last (at most) 128 KiB ending at 1 MiB. */
    static void mapRom(BoardContext context, String name, byte[] image) {
        RamBlock block = context.allocateRam(name, image.length);
        MemorySegment.copy(image, 0, block.segment(), ValueLayout.JAVA_BYTE, 0, image.length);
        MemoryRegion.Rom rom = new MemoryRegion.Rom(name, block);
        context.memory().map(PcMemoryMap.FOUR_GIB - image.length, rom);
        long low = Firmware.lowAliasSize(image.length);
        context.memory().map(PcMemoryMap.HIGH_RAM_START - low,
                new MemoryRegion.Alias(name + ".low", rom, image.length - low, low), ROM_PRIORITY);
    }

    /**
     * The A20 gate: port 0x92 bit 1 and the i8042's output port bit 1 both drive input 0 of the
     * "a20" controller, whose level is their OR (the gate is open when either is set), into the
     * CPU's A20 input.
     */
    static void connectA20(BoardContext context) {
        context.registerIrqSink("a20", new IrqSink() {
            @Override
            public int inputs() {
                return 1;
            }

            @Override
            public void setInput(int index, boolean level) {
                try {
                    context.cpu().a20().set(level);
                } catch (IllegalStateException noCpu) {
                    // a machine without a CPU ("cpu": "none"): nothing to gate
                }
            }
        });
    }

    /** Whether the machine's CPU was created with the {@code apic} feature ({@code -cpu MODEL,+apic}). */
    static boolean cpuHasApic(BoardContext context) {
        try {
            org.machina.api.cpu.Cpu cpu = context.cpu();
            return cpu != null && cpu.features().contains(APIC_FEATURE);
        } catch (IllegalStateException noCpu) {
            return false;
        }
    }

    /** What the ACPI tables describe: the PM block, the SCI, the HPET and the PCI interrupt routes. */
    static AcpiConfig acpiConfig(boolean hpet) {
        return acpiConfig(hpet, false);
    }

    /** As {@link #acpiConfig(boolean)}, with the MADT when the machine has APICs. */
    static AcpiConfig acpiConfig(boolean hpet, boolean apic) {
        return new AcpiConfig(PM_BASE, SCI_IRQ, hpet ? HPET_BASE : -1, HPET_BLOCK_ID,
                (device, pin) -> PciHost.FIRMWARE_PIRQ_IRQS[PciHost.pirq(device, pin)],
                apic ? new AcpiConfig.Apic(LAPIC_BASE, IOAPIC_ID, IOAPIC_BASE, List.copyOf(levelIrqs())) : null);
    }

    /**
     * The ISA IRQs that are level-triggered and active low (the SCI and the PCI interrupts): the
     * MADT's overrides say so, and {@link ApicWiring} wires them so to the I/O APIC.
     */
    static java.util.SortedSet<Integer> levelIrqs() {
        java.util.TreeSet<Integer> level = new java.util.TreeSet<>();
        level.add(SCI_IRQ);
        for (int irq : PciHost.FIRMWARE_PIRQ_IRQS) {
            level.add(irq);
        }
        return level;
    }

    /**
     * The devices every PC has; type names are those of the PC device bundle, and the PIIX3 IDE
     * function (00:01.1, type {@code piix3-ide} of the storage bundle, id {@code ide}) whose bus
     * {@code ide} takes the {@code ide-hd} and {@code ide-cd} drives. With the HPET, the PIT and
     * RTC interrupts go through its legacy replacement switch.
     */
    static void addDefaultDevices(BoardContext context, long ramSize, boolean acpi, boolean hpet) {
        addDefaultDevices(context, ramSize, acpi, hpet, false);
    }

    /**
     * As above; with {@code apic} also the local APIC (type {@code apic}, id {@code apic}) and the
     * I/O APIC ({@code ioapic}), the 8259 pair's INTR and inputs wired through {@link ApicWiring}.
     */
    static void addDefaultDevices(BoardContext context, long ramSize, boolean acpi, boolean hpet, boolean apic) {
        String timerIrqs = hpet ? "hpet-legacy" : "isa";
        if (apic) {
            context.addDevice("apic", "apic", Map.of());
            context.addDevice("ioapic", "ioapic", Map.of("base", Long.toString(IOAPIC_BASE)));
            context.addDevice("i8259", "pic", Map.of("output", ApicWiring.PIC_INTR, "sink", ApicWiring.PIC));
        } else {
            context.addDevice("i8259", "pic", Map.of());
        }
        if (hpet) {
            context.addDevice("hpet", "hpet", Map.of("base", Long.toString(HPET_BASE)));
        }
        context.addDevice("i8254", "pit", Map.of("irq-controller", timerIrqs));
        context.addDevice("mc146818rtc", "rtc", Map.of("memory", Long.toString(ramSize), "irq-controller", timerIrqs));
        if (acpi) {
            context.addDevice("acpi-pm", "acpi-pm", Map.of("base", Integer.toString(PM_BASE), "sci", Integer.toString(SCI_IRQ)));
        }
        for (int i = 0; i < 4; i++) {
            String id = "serial" + i;
            if (i == 0) {
                context.addDevice("isa-serial", id, context.hasChardev(id)
                        ? Map.of("index", "0", "chardev", id) : Map.of("index", "0"));
            } else if (context.hasChardev(id)) {
                context.addDevice("isa-serial", id, Map.of("index", Integer.toString(i), "chardev", id));
            }
        }
        context.addDevice("i8042", "i8042", Map.of());
        context.addDevice("port92", "port92", Map.of());
        context.addDevice("piix3-ide", "ide", Map.of());
    }

    private static byte[] readFile(String what, Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " file '" + path + "' does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " file '" + path + "': " + e.getMessage(), e);
        }
    }
}
