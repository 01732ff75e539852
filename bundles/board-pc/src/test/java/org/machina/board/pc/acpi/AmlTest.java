package org.machina.board.pc.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Encodings checked against the AML grammar of ACPI 6.5 chapter 20 (hand-assembled bytes). */
class AmlTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void integersTakeTheShortestEncoding() {
        assertArrayEquals(hex("00"), Aml.integer(0));
        assertArrayEquals(hex("01"), Aml.integer(1));
        assertArrayEquals(hex("0A 05"), Aml.integer(5));
        assertArrayEquals(hex("0A FF"), Aml.integer(0xFF));
        assertArrayEquals(hex("0B 00 01"), Aml.integer(0x100));
        assertArrayEquals(hex("0C 78 56 34 12"), Aml.integer(0x12345678));
        assertArrayEquals(hex("0E 08 07 06 05 04 03 02 01"), Aml.integer(0x0102030405060708L));
    }

    @Test
    void pkgLengthCountsItselfAndSwitchesToMultiByteAt64() {
        assertArrayEquals(hex("01"), Aml.pkgLength(0));
        assertArrayEquals(hex("3F"), Aml.pkgLength(62));   // 63 in one byte
        // 63 bytes of content + 2 length bytes = 65 = 0x41: lead 01 00 0001 (1 follow, nibble 1), then 0x04
        assertArrayEquals(hex("41 04"), Aml.pkgLength(63));
        // 4093 + 2 = 4095 = 0xFFF: the largest two-byte length
        assertArrayEquals(hex("4F FF"), Aml.pkgLength(4093));
        // 4094 + 3 = 4097 = 0x1001: three bytes, nibble 1, then 0x00, 0x01
        assertArrayEquals(hex("81 00 01"), Aml.pkgLength(4094));
        assertArrayEquals(hex("C1 00 00 01"), Aml.pkgLength(0xFFFFD)); // + 4 length bytes = 0x100001
        assertThrows(IllegalArgumentException.class, () -> Aml.pkgLength(1 << 28));
    }

    @Test
    void namesArePaddedAndPrefixed() {
        assertArrayEquals(hex("5F 53 35 5F"), Aml.nameString("_S5"));
        assertArrayEquals(hex("5C 5F 53 35 5F"), Aml.nameString("\\_S5"));
        assertArrayEquals(hex("5C 2E 5F 53 42 5F 50 43 49 30"), Aml.nameString("\\_SB.PCI0"));
        assertArrayEquals(hex("2F 03 5F 53 42 5F 50 43 49 30 53 46 30 30"), Aml.nameString("_SB.PCI0.SF00"));
        assertArrayEquals(hex("5E 5E 41 5F 5F 5F"), Aml.nameString("^^A"));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameString("lower"));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameString("TOOLONG"));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameString("1ABC"));
    }

    @Test
    void eisaIdOfThePciHostBridge() {
        // "PNP" -> 0x41D0 big-endian, "0A03" -> 0x0A 0x03: DWordConst 0x030AD041
        assertArrayEquals(hex("0C 41 D0 0A 03"), Aml.eisaId("PNP0A03"));
        assertArrayEquals(hex("0C 41 D0 01 03"), Aml.eisaId("PNP0103"));
        assertThrows(IllegalArgumentException.class, () -> Aml.eisaId("pnp0a03"));
    }

    @Test
    void nameOfAPackage() {
        // Name (_S5, Package (4) {5, 5, 0, 0})
        assertArrayEquals(hex("08 5F 53 35 5F 12 08 04 0A 05 0A 05 00 00"),
                Aml.name("_S5", Aml.pkg(Aml.integer(5), Aml.integer(5), Aml.integer(0), Aml.integer(0))));
    }

    @Test
    void scopeDeviceAndMethod() {
        // Scope (\_SB) { Device (PCI0) { Name (_ADR, 0) } }
        byte[] dev = Aml.device("PCI0", Aml.name("_ADR", Aml.integer(0)));
        assertArrayEquals(hex("5B 82 0B 50 43 49 30 08 5F 41 44 52 00"), dev);
        assertArrayEquals(Aml.concat(hex("10 13 5C 5F 53 42 5F"), dev), Aml.scope("\\_SB", dev));
        // Method (_STA, 0) { Return (0x0F) }
        assertArrayEquals(hex("14 09 5F 53 54 41 00 A4 0A 0F"), Aml.method("_STA", 0, Aml.returnOf(Aml.integer(0x0F))));
        assertThrows(IllegalArgumentException.class, () -> Aml.method("_STA", 8));
    }

    @Test
    void bufferCarriesItsSize() {
        assertArrayEquals(hex("11 05 0A 02 79 00"), Aml.buffer(hex("79 00")));
    }

    @Test
    void resourceDescriptorsOfAHostBridge() {
        // WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0xFF, 0, 0x100)
        assertArrayEquals(hex("88 0D 00 02 0C 00 0000 0000 FF00 0000 0001 79 00"),
                new Resources().busNumbers(0, 0xFF).bytes());
        // IO (Decode16, 0xCF8, 0xCF8, 1, 8)
        assertArrayEquals(hex("47 01 F80C F80C 01 08 79 00"), new Resources().ioPorts(0xCF8, 8).bytes());
        // WordIO (..., EntireRange, 0, 0xD00, 0xFFFF, 0, 0xF300)
        assertArrayEquals(hex("88 0D 00 01 0C 03 0000 000D FFFF 0000 00F3 79 00"),
                new Resources().ioWindow(0xD00, 0xFFFF).bytes());
        // DWordMemory (..., NonCacheable, ReadWrite, 0, 0xE0000000, 0xFEBFFFFF, 0, 0x1EC00000)
        assertArrayEquals(hex("87 1700 00 0C 01 00000000 000000E0 FFFFBFFE 00000000 0000C01E 79 00"),
                new Resources().memoryWindow(0xE000_0000L, 0xFEBF_FFFFL, false).bytes());
        assertThrows(IllegalArgumentException.class, () -> new Resources().ioWindow(0x100, 0x10000));
    }

    @Test
    void stringsAreNulTerminated() {
        assertArrayEquals(hex("0D 41 42 00"), Aml.string("AB"));
        assertThrows(IllegalArgumentException.class, () -> Aml.string("\u00e9"));
    }

    @Test
    void aLongPackageUsesATwoByteLength() {
        byte[][] elements = new byte[40][];
        for (int i = 0; i < elements.length; i++) {
            elements[i] = Aml.integer(0x10 + i); // 2 bytes each
        }
        byte[] p = Aml.pkg(elements);
        // content: 1 (count) + 80 = 81; + 2 length bytes = 83 = 0x53 -> 43 05
        assertEquals(0x12, p[0]);
        assertArrayEquals(hex("43 05 28"), java.util.Arrays.copyOfRange(p, 1, 4));
        assertEquals(1 + 2 + 81, p.length);
    }
}
