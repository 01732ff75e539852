package org.machina.devices.usb.video.mjpeg;

/**
 * An encoder's view of a Huffman table: code and length for each symbol, generated from BITS and
 * HUFFVAL by the procedures of T.81 Annex C (Generate_size_table, Generate_code_table,
 * Order_codes).
 */
final class HuffmanCode {
    final int[] bits;
    final int[] values;
    final int[] code = new int[256];
    final int[] length = new int[256];

    HuffmanCode(int[] bits, int[] values) {
        this.bits = bits;
        this.values = values;
        int k = 0;
        int c = 0;
        for (int len = 1; len <= 16; len++) {
            for (int i = 0; i < bits[len - 1]; i++) {
                int symbol = values[k++];
                code[symbol] = c++;
                length[symbol] = len;
            }
            c <<= 1;
        }
        if (k != values.length) {
            throw new IllegalArgumentException("BITS counts " + k + " codes, HUFFVAL has " + values.length);
        }
    }
}
