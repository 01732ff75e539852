; Segment limits and null selectors on use in 32-bit protected mode (SDM vol. 3 5.3, 3.4.2):
; byte- and page-granular limits, a dword straddling the limit, an expand-down segment, a
; write beyond the limit that must not land, and a memory access through a null ES, each
; #GP(0); string instructions (REP MOVSB stopping at the limit with ECX/ESI/EDI of the faulting
; element, STOSD straddling it, LODSB through an override), XLAT past a limit and an x87 FLD
; qword straddling it, #GP(0); a
; POP past the SS limit, #SS(0) with ESP unchanged. Segment types on use (SDM vol. 3 5.4):
; writes through a read-only data segment (MOV, ADD to memory, STOSB, FNSTSW) and through a CS
; override, and a read through an execute-only code segment, each #GP(0) with nothing written.
; qemu-system-i386 (TCG) checks none of the data segment limits; see qemu-deviations.txt.
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
  mov ax, SEL_SMALL                      ; byte granular, limit 0xFFF
  mov es, ax
  mov esi, 0x2000                        ; source: flat DS
  mov edi, 0xFF0
  mov ecx, 0x20
  cld
  EXPECT .r_movs
  rep movsb                              ; the 17th byte (ES:0x1000) is past the limit
.r_movs:
  mov eax, [LASTVEC]
  CHECK "rep-movsb-past-limit-gp-vector", 13
  mov eax, ecx
  CHECK "rep-movsb-stops-with-ecx", 0x10
  mov eax, edi
  CHECK "rep-movsb-stops-with-edi", 0x1000
  mov eax, esi
  CHECK "rep-movsb-stops-with-esi", 0x2010
  mov edi, 0xFFE
  EXPECT .r_stos
  stosd                                  ; a dword straddling the limit
.r_stos:
  mov eax, [LASTVEC]
  CHECK "stosd-straddling-limit-gp-vector", 13
  mov esi, 0x1000
  EXPECT .r_lods
  es lodsb                               ; the source through an ES override
.r_lods:
  mov eax, [LASTVEC]
  CHECK "lodsb-override-past-limit-gp-vector", 13
  mov ebx, 0xFF0
  mov eax, 0x10
  EXPECT .r_xlat
  es xlatb                               ; ES:EBX+AL = 0x1000
.r_xlat:
  mov eax, [LASTVEC]
  CHECK "xlat-past-limit-gp-vector", 13
  mov ebx, 0xF00
  mov eax, 0x10
  EXPECT .r_xlat_ok
  es xlatb
  mov eax, [LASTVEC]
.r_xlat_ok:
  CHECK "xlat-inside-limit-ok", 0xFF
  fninit
  EXPECT .r_fld_ok
  fld dword [es:0xFFC]                   ; the last dword inside the limit
  mov eax, [LASTVEC]
.r_fld_ok:
  CHECK "fld-dword-inside-limit-ok", 0xFF
  EXPECT .r_fld
  fld qword [es:0xFFC]                   ; a qword straddling the limit
.r_fld:
  mov eax, [LASTVEC]
  CHECK "fld-qword-straddling-limit-gp-vector", 13
  mov ax, SEL_DATA32
  mov es, ax
  mov ax, SEL_SMALL                      ; SS limit 0xFFF: the exception frame fits below ESP
  mov ss, ax
  mov esp, 0xFFE
  EXPECT .r_pop
  pop eax                                ; 0xFFE..0x1001
.r_pop:
  mov eax, esp
  mov bx, SEL_DATA32
  mov ss, bx
  mov esp, 0x7000
  CHECK "pop-past-ss-limit-keeps-esp", 0xFFE
  mov eax, [LASTVEC]
  CHECK "pop-past-ss-limit-ss-vector", 12
  mov eax, [LASTERR]
  CHECK "pop-past-ss-limit-ss-error", 0
  mov dword [0x2000], 0x11223344
  mov ax, SEL_RODATA
  mov es, ax
  EXPECT .r_ro_rd
  mov eax, [es:0x2000]
.r_ro_rd:
  CHECK "read-only-segment-read-ok", 0x11223344
  EXPECT .r_ro_mov
  mov dword [es:0x2000], 0
.r_ro_mov:
  mov eax, [LASTVEC]
  CHECK "read-only-segment-mov-gp-vector", 13
  EXPECT .r_ro_add
  add [es:0x2000], eax
.r_ro_add:
  mov eax, [LASTVEC]
  CHECK "read-only-segment-add-gp-vector", 13
  mov edi, 0x2000
  EXPECT .r_ro_stos
  stosb
.r_ro_stos:
  mov eax, [LASTVEC]
  CHECK "read-only-segment-stosb-gp-vector", 13
  fninit
  EXPECT .r_ro_fpu
  fnstsw [es:0x2000]
.r_ro_fpu:
  mov eax, [LASTVEC]
  CHECK "read-only-segment-fnstsw-gp-vector", 13
  mov eax, [0x2000]
  CHECK "read-only-segment-nothing-written", 0x11223344
  EXPECT .r_cs_wr
  mov [cs:0x100], eax
.r_cs_wr:
  mov eax, [LASTVEC]
  CHECK "cs-override-write-gp-vector", 13
  mov ax, SEL_DATA32
  mov es, ax
  EXPECT .r_xo
  jmp SEL_XONLY:.xo                      ; execute-only code, same base as the ROM
.xo:
  mov eax, [cs:0x100]
.r_xo:
  jmp SEL_CODE32:.back32
.back32:
  mov eax, [LASTVEC]
  CHECK "execute-only-cs-read-gp-vector", 13
  mov eax, [LASTERR]
  CHECK "execute-only-cs-read-gp-error", 0
  call finish_32

  PM32_ROM_END
