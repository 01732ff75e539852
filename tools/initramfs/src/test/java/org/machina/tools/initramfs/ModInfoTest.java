package org.machina.tools.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModInfoTest {

    @Test
    void readsDependsFromElf32LittleEndian() {
        byte[] ko = TestElf.module(false, false, "license=GPL", "depends=virtio_ring,virtio", "name=virtio_blk");
        ModInfo info = ModInfo.parse(ko, "virtio_blk.ko");
        assertEquals(List.of("virtio_ring", "virtio"), info.depends());
        assertEquals(List.of("virtio_blk"), info.values("name"));
    }

    @Test
    void readsElf64BigEndianAndNormalisesDashes() {
        byte[] ko = TestElf.module(true, true, "depends=snd-pcm,,soundcore", "vermagic=6.1.0 SMP");
        assertEquals(List.of("snd_pcm", "soundcore"), ModInfo.parse(ko, "x.ko").depends());
    }

    @Test
    void emptyDependsMeansNone() {
        assertEquals(List.of(), ModInfo.parse(TestElf.module(false, false, "depends="), "x.ko").depends());
        assertEquals(List.of(), ModInfo.parse(TestElf.module(false, false, "license=GPL"), "x.ko").depends());
    }

    @Test
    void rejectsWhatIsNotAModuleNamingTheFile() {
        var notElf = assertThrows(IllegalArgumentException.class, () -> ModInfo.parse("hello".getBytes(), "a.ko"));
        assertTrue(notElf.getMessage().startsWith("a.ko: not an ELF file"), notElf.getMessage());

        byte[] ko = TestElf.module(false, false, "depends=");
        byte[] truncated = Arrays.copyOf(ko, ko.length - 10);
        var cut = assertThrows(IllegalArgumentException.class, () -> ModInfo.parse(truncated, "b.ko"));
        assertTrue(cut.getMessage().contains("outside the file"), cut.getMessage());

        byte[] renamed = ko.clone();
        int at = indexOf(renamed, ".modinfo".getBytes());
        renamed[at + 1] = 'x';
        var none = assertThrows(IllegalArgumentException.class, () -> ModInfo.parse(renamed, "c.ko"));
        assertTrue(none.getMessage().contains("no .modinfo section"), none.getMessage());
    }

    private static int indexOf(byte[] data, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= data.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (data[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
