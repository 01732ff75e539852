; Segment limits and null selectors on use in 32-bit protected mode (SDM vol. 3 5.3, 3.4.2):
; byte- and page-granular limits, a dword straddling the limit, an expand-down segment, a
; write beyond the limit that must not land, and a memory access through a null ES, each
; #GP(0). qemu-system-i386 (TCG) checks none of these; see qemu-deviations.txt.
%include "lib.inc"
%include "pm.inc"
PM32_ROM_START
  mov ax, SEL_SMALL                      ; byte granular, limit 0xFFF
  mov es, ax
  EXPECT .r_ok
  mov dword [es:0xFFC], 0x1234
  mov eax, [es:0xFFC]
.r_ok:
  CHECK "byte-limit-last-dword-ok", 0x1234
  EXPECT .r_byte
  mov eax, [es:0x1000]
.r_byte:
  mov eax, [LASTVEC]
  CHECK "byte-limit-read-gp-vector", 13
  mov eax, [LASTERR]
  CHECK "byte-limit-read-gp-error", 0
  EXPECT .r_str
  mov eax, [es:0xFFD]                    ; dword straddling the limit
.r_str:
  mov eax, [LASTVEC]
  CHECK "straddling-dword-gp-vector", 13
  mov dword [0x1000], 0
  EXPECT .r_wr
  mov dword [es:0x1000], 0xDEAD
.r_wr:
  mov eax, [LASTVEC]
  CHECK "byte-limit-write-gp-vector", 13
  mov eax, [0x1000]
  CHECK "byte-limit-write-suppressed", 0
  mov ax, SEL_PAGEG                      ; page granular, limit 1 -> 0x1FFF
  mov es, ax
  EXPECT .r_pg_ok
  mov eax, [es:0x1FFC]
  mov eax, [LASTVEC]
.r_pg_ok:
  CHECK "page-limit-inside-ok", 0xFF
  EXPECT .r_pg
  mov al, [es:0x2000]
.r_pg:
  mov eax, [LASTVEC]
  CHECK "page-limit-gp-vector", 13
  mov ax, SEL_EXPDN                      ; expand-down, limit 0xFFF
  mov es, ax
  EXPECT .r_ed_ok
  mov eax, [es:0x2000]
  mov eax, [LASTVEC]
.r_ed_ok:
  CHECK "expand-down-above-limit-ok", 0xFF
  EXPECT .r_ed
  mov eax, [es:0x800]
.r_ed:
  mov eax, [LASTVEC]
  CHECK "expand-down-below-limit-gp-vector", 13
  EXPECT .r_nl
  xor eax, eax
  mov es, ax                             ; a null selector loads into ES...
.r_nl:
  mov eax, [LASTVEC]
  CHECK "null-es-load-ok", 0xFF
  EXPECT .r_nes
  mov eax, [es:0]                        ; ...but using it faults
.r_nes:
  mov eax, [LASTVEC]
  CHECK "null-es-use-gp-vector", 13
  mov eax, [LASTERR]
  CHECK "null-es-use-gp-error", 0
  mov ax, SEL_DATA32
  mov es, ax
  call finish_32

  PM32_ROM_END
