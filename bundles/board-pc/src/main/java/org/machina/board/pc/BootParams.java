package org.machina.board.pc;

/**
 * Offsets of the Linux/x86 boot protocol structures used by the loader: the real-mode setup
 * header inside a bzImage and {@code struct boot_params} (the "zero page"), as documented in
 * the kernel's {@code Documentation/arch/x86/boot.rst} and {@code zero-page.rst}. The setup
 * header sits at the same offset (0x1F1) in the file's first sector and in the zero page.
 */
final class BootParams {
    private BootParams() {
    }

    // struct screen_info (zero page offset 0x000)
    static final int ORIG_X = 0x000;               // u8
    static final int ORIG_Y = 0x001;               // u8
    static final int EXT_MEM_K = 0x002;            // u16, KiB above 1 MiB (capped)
    static final int ORIG_VIDEO_MODE = 0x006;      // u8
    static final int ORIG_VIDEO_COLS = 0x007;      // u8
    static final int ORIG_VIDEO_LINES = 0x00E;     // u8
    static final int ORIG_VIDEO_IS_VGA = 0x00F;    // u8
    static final int ORIG_VIDEO_POINTS = 0x010;    // u16

    // struct boot_params
    static final int ACPI_RSDP_ADDR = 0x070;       // u64, physical address of the RSDP (protocol 2.14+)
    static final int ALT_MEM_K = 0x1E0;            // u32, KiB above 1 MiB
    static final int E820_ENTRIES = 0x1E8;         // u8
    static final int E820_TABLE = 0x2D0;           // 20 bytes per entry: u64 addr, u64 size, u32 type
    static final int E820_MAX = 128;
    static final int ZERO_PAGE_SIZE = 4096;

    // struct setup_header
    static final int SETUP_SECTS = 0x1F1;          // u8, 0 means 4
    static final int SYSSIZE = 0x1F4;              // u32, protected-mode size in 16-byte units
    static final int BOOT_FLAG = 0x1FE;            // u16 0xAA55
    static final int JUMP = 0x200;                 // u16; byte 0x201 + 0x202 = end of header
    static final int HEADER = 0x202;               // u32 "HdrS"
    static final int VERSION = 0x206;              // u16 protocol version
    static final int TYPE_OF_LOADER = 0x210;       // u8
    static final int LOADFLAGS = 0x211;            // u8
    static final int CODE32_START = 0x214;         // u32
    static final int RAMDISK_IMAGE = 0x218;        // u32
    static final int RAMDISK_SIZE = 0x21C;         // u32
    static final int HEAP_END_PTR = 0x224;         // u16
    static final int CMD_LINE_PTR = 0x228;         // u32
    static final int INITRD_ADDR_MAX = 0x22C;      // u32, highest allowed initrd byte address
    static final int KERNEL_ALIGNMENT = 0x230;     // u32
    static final int RELOCATABLE_KERNEL = 0x234;   // u8
    static final int CMDLINE_SIZE = 0x238;         // u32, max length without the NUL (2.06+)
    static final int INIT_SIZE = 0x260;            // u32, linear memory the kernel needs (2.10+)

    static final int HDRS_MAGIC = 0x53726448;      // "HdrS" little-endian
    static final int LOADED_HIGH = 0x01;
    static final int CAN_USE_HEAP = 0x80;
    static final int LOADER_UNDEFINED = 0xFF;

    static final int E820_RAM = 1;
    static final int E820_RESERVED = 2;
}
