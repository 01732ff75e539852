package org.machina.board.pc.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tables checked by a real peer: ACPICA's {@code iasl} (package acpica-tools, installed by
 * {@code scripts/install-deps.sh}) disassembles each table, and the disassembled DSDT compiles
 * back to exactly our AML. Skipped, with a message, when iasl is not installed.
 */
class AcpiIaslTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needIasl() {
        boolean present = false;
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            present |= Files.isExecutable(Path.of(p, "iasl"));
        }
        Assumptions.assumeTrue(present, "iasl not installed (apt-get install acpica-tools): ACPI tables not checked by ACPICA");
    }

    private String iasl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("iasl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl finished");
        assertEquals(0, p.exitValue(), "iasl " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    private Path write(String sig) throws IOException {
        AcpiTables.Result r = AcpiTables.build(AcpiTablesTest.APIC_CONFIG, AcpiTablesTest.BASE);
        Path f = dir.resolve(sig.toLowerCase() + ".dat");
        Files.write(f, AcpiTablesTest.table(r, sig));
        return f;
    }

    private String disassemble(String sig) throws Exception {
        Path f = write(sig);
        iasl("-d", f.getFileName().toString());
        Path dsl = dir.resolve(sig.toLowerCase() + ".dsl");
        assertTrue(Files.isRegularFile(dsl), "iasl wrote " + dsl);
        return Files.readString(dsl);
    }

    @Test
    void fadtDisassembles() throws Exception {
        String dsl = disassemble("FACP");
        assertTrue(dsl.contains("Fixed ACPI Description Table"), dsl);
        assertTrue(dsl.matches("(?s).*PM1A Event Block Address : 0*600\\b.*"), dsl);
        assertTrue(dsl.matches("(?s).*PM Timer Block Address : 0*608\\b.*"), dsl);
        assertTrue(dsl.matches("(?s).*SCI Interrupt : 0009\\b.*"), dsl);
        assertTrue(!dsl.contains("Invalid") && !dsl.contains("Error"), dsl);
    }

    @Test
    void hpetDisassembles() throws Exception {
        String dsl = disassemble("HPET");
        assertTrue(dsl.contains("High Precision Event Timer table"), dsl);
        assertTrue(dsl.matches("(?s).*Address : 0*FED00000\\b.*"), dsl);
        assertTrue(dsl.contains("Hardware Block ID : 8086A201"), dsl);
    }

    @Test
    void rootTablesDisassemble() throws Exception {
        String rsdt = disassemble("RSDT");
        assertTrue(rsdt.matches("(?s).*ACPI Table Address +0 : 000E0...\\b.*"), rsdt);
        String xsdt = disassemble("XSDT");
        assertTrue(xsdt.matches("(?s).*ACPI Table Address +1 : 00000000000E0...\\b.*"), xsdt);
        String facs = disassemble("FACS");
        assertTrue(facs.contains("Signature : \"FACS\""), facs);
    }

    @Test
    void dsdtDisassemblesAndCompilesBackToTheSameAml() throws Exception {
        String dsl = disassemble("DSDT");
        assertTrue(dsl.contains("Name (\\_S5, Package (0x04)"), dsl);
        assertTrue(dsl.contains("Device (PCI0)"), dsl);
        assertTrue(dsl.contains("EisaId (\"PNP0A03\")"), dsl);
        assertTrue(dsl.contains("Name (_PRT, Package (0x7B)"), dsl);
        assertTrue(dsl.contains("Name (_CRS, ResourceTemplate ()"), dsl);
        assertTrue(dsl.contains("WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,"), dsl);
        assertTrue(dsl.matches("(?s).*DWordMemory \\(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,"
                + "\\s+0x00000000,\\s+// Granularity\\s+0xE0000000,.*"), dsl);
        String compiled = iasl("-on", "-p", "recompiled", "dsdt.dsl"); // -on: keep our \\ prefixes
        assertTrue(compiled.contains(" 0 Errors, 0 Warnings"), compiled);
        byte[] ours = Files.readAllBytes(dir.resolve("dsdt.dat"));
        byte[] theirs = Files.readAllBytes(dir.resolve("recompiled.aml"));
        assertArrayEquals(Arrays.copyOfRange(ours, 36, ours.length), Arrays.copyOfRange(theirs, 36, theirs.length),
                "AML recompiled by iasl from its own disassembly");
    }

    @Test
    void madtDisassembles() throws Exception {
        String dsl = disassemble("APIC");
        assertTrue(dsl.contains("Multiple APIC Description Table"), dsl);
        assertTrue(dsl.matches("(?s).*Local Apic Address : FEE00000\\b.*"), dsl);
        assertTrue(dsl.matches("(?s).*PC-AT Compatibility : 1\\b.*"), dsl);
        assertTrue(dsl.matches("(?s).*Subtable Type : 00 \\[Processor Local APIC\\].*Processor Enabled : 1\\b.*"), dsl);
        assertTrue(dsl.matches("(?s).*Subtable Type : 01 \\[I/O APIC\\].*I/O Apic ID : 01\\b.*Address : FEC00000\\b.*"), dsl);
        assertTrue(dsl.matches("(?s).*Source : 00\\n[^\\n]*Interrupt : 00000002\\n.*"), dsl);
        assertTrue(dsl.matches("(?s).*Source : 0B\\n[^\\n]*Interrupt : 0000000B\\n"
                + "[^\\n]*Flags \\(decoded below\\) : 000F\\n\\s*Polarity : 3\\n\\s*Trigger Mode : 3\\n.*"), dsl);
        assertTrue(dsl.matches("(?s).*Subtable Type : 04 \\[Local APIC NMI\\].*Interrupt Input LINT : 01\\b.*"), dsl);
        assertTrue(!dsl.contains("Invalid") && !dsl.contains("Error") && !dsl.contains("Unknown"), dsl);
    }
}
