; Addressing forms through patched code. A routine in RAM (physical 0x30000) holds
;   [67] 8D mm [sib] [disp]   LEA r, [form]
;   89 /r RES                 MOV [RES], r
;   8B 25/26 SAVESP           MOV (E)SP, [SAVESP]
;   CB                        RETF
; For every ModRM byte with mod 0-2 (all reg and rm values) and, for 32-bit addressing, every
; SIB byte, the ROM writes the ModRM, SIB, displacement and the tail through a data-segment
; alias (SEL_ADATA, base 0x20000) and far-calls the routine through a code-segment alias
; (SEL_ACODE32/SEL_ACODE16, base 0x30000); the prefix and opcode bytes are written once per
; variant. The address LEA computed is compared with one the ROM computes from the form by
; arithmetic (SDM vol. 2 2.1.5, tables 2-1 to 2-3). DS has a 64 KiB limit while the routine runs:
; LEA computes an address and accesses no memory, so it checks no segment limit (SDM vol. 2 LEA). Variants: 32-bit code and addressing,
; 16-bit code and addressing, and each with the address-size prefix 67.
; Every patch rewrites bytes of an instruction that already ran at the same address, so a
; decoded-instruction cache that keeps the old ModRM form or length fails these checks.
%include "lib.inc"
%include "pm.inc"
REGVALS  equ 0x600                      ; 9 dwords: EAX..EDI as loaded for the routine, then 0
M        equ 0x640                      ; ModRM byte under test
S        equ 0x644                      ; SIB byte under test
DISP     equ 0x648                      ; displacement (low 1, 2 or 4 bytes used)
CODE32   equ 0x64C                      ; 1 = 32-bit code alias
ADDR32   equ 0x650                      ; 1 = 32-bit addressing
RES      equ 0x654                      ; what the routine stored
SAVESP   equ 0x658                      ; (E)SP at the LEA; the routine reloads it before RETF
BAD      equ 0x65C                      ; mismatches in this variant
FIRSTBAD equ 0x660                      ; first mismatching form: SIB << 8 | ModRM
ITER     equ 0x664
MPOS     equ 0x668                      ; offset of the ModRM byte in the routine
EXP      equ 0x66C                      ; the expected result
PATCH    equ 0x10000                    ; the routine through SEL_ADATA

bits 16
org 0
start:
  REAL_ENTRY
; ---- real mode, as a -bios ROM first meets it: LEA with 32-bit forms whose offsets pass 64 KiB,
; patched through ES = 0x2F00 and run through CS = 0x3000 (both reach physical 0x30000)
  mov ax, 0x2F00
  mov es, ax
  mov di, 0x1000
  mov al, 0x66                          ; o32
  stosb
  mov eax, 0xC8848D67                   ; a32 lea eax, [eax + ecx*8 + disp32]
  stosd
  mov eax, 0x00123456
  stosd
  mov al, 0xCB                          ; retf
  stosb
  mov eax, 0x10000
  mov ecx, 0x20000
  call 0x3000:0
  CHECK "real-mode-lea-sib-past-64k", 0x10000 + 0x20000*8 + 0x123456
  mov byte [es:0x1004], 0x48            ; SIB: ecx*2 + eax
  mov eax, 0x10000
  call 0x3000:0
  CHECK "real-mode-lea-patched-sib", 0x10000 + 0x20000*2 + 0x123456
  mov byte [es:0x1003], 0x44            ; ModRM mod 1: disp8 0x56, then 34 12 00 as code...
  mov byte [es:0x1006], 0xCB            ; ...so RETF right after the disp8
  mov eax, 0x10000
  call 0x3000:0
  CHECK "real-mode-lea-patched-modrm", 0x10000 + 0x20000*2 + 0x56
  xor ax, ax
  mov es, ax
  PM_ENTER pm16
pm16:
  jmp dword SEL_CODE32:pm32
bits 32
pm32:
  PM32_SETUP
  mov ax, SEL_ADATA
  mov es, ax
  mov edi, REGVALS
  mov esi, 0xF0000 + regvals
  mov ecx, 9
.cp: mov eax, [esi]                     ; DS-relative copy (ES is the alias)
  mov [edi], eax
  add esi, 4
  add edi, 4
  loop .cp
  mov dword [ITER], 0

  mov dword [CODE32], 1
  mov dword [ADDR32], 1
  call variant
  mov eax, [BAD]
  CHECK "code32-addr32-modrm-sib-mismatches", 0
  mov eax, [FIRSTBAD]
  CHECK "code32-addr32-first-bad-form", 0xFFFFFFFF

  mov dword [CODE32], 0
  mov dword [ADDR32], 0
  call variant
  mov eax, [BAD]
  CHECK "code16-addr16-modrm-mismatches", 0
  mov eax, [FIRSTBAD]
  CHECK "code16-addr16-first-bad-form", 0xFFFFFFFF

  mov dword [CODE32], 1
  mov dword [ADDR32], 0
  call variant
  mov eax, [BAD]
  CHECK "code32-addr16-prefix67-modrm-mismatches", 0
  mov eax, [FIRSTBAD]
  CHECK "code32-addr16-prefix67-first-bad-form", 0xFFFFFFFF

  mov dword [CODE32], 0
  mov dword [ADDR32], 1
  call variant
  mov eax, [BAD]
  CHECK "code16-addr32-prefix67-modrm-sib-mismatches", 0
  mov eax, [FIRSTBAD]
  CHECK "code16-addr32-prefix67-first-bad-form", 0xFFFFFFFF
  call finish_32

; one variant: prefix and opcode once, then every ModRM (and SIB) form
variant:
  mov edi, PATCH
  mov al, [CODE32]
  cmp al, [ADDR32]
  je .noprefix
  mov al, 0x67
  stosb
.noprefix:
  mov al, 0x8D
  stosb
  sub edi, PATCH
  mov [MPOS], edi
  mov dword [BAD], 0
  mov dword [FIRSTBAD], 0xFFFFFFFF
  mov dword [M], 0
.m:
  mov dword [S], 0
.s:
  inc dword [ITER]
  mov eax, [ITER]
  imul eax, eax, -0x61C88647            ; a displacement whose bytes change every time
  mov [DISP], eax
  call run_one
  cmp byte [ADDR32], 0
  je .next_m
  mov al, [M]
  and al, 7
  cmp al, 4
  jne .next_m
  inc dword [S]
  cmp dword [S], 256
  jb .s
.next_m:
  inc dword [M]
  cmp dword [M], 192
  jb .m
  ret

; patch, compute the expected value, far-call the routine, compare
run_one:
  cmp byte [CODE32], 0
  je .sp16
  lea eax, [esp - 8]                    ; the 32-bit far call pushes CS and EIP
  jmp .sp
.sp16:
  lea eax, [esp - 4]                    ; the 16-bit far call pushes CS and IP
.sp:
  mov [SAVESP], eax
  mov [REGVALS + 16], eax
  call emit
  call expect
  mov [EXP], eax
  mov dword [RES], 0xDEADBEEF
  mov eax, [REGVALS + 0]
  mov ecx, [REGVALS + 4]
  mov edx, [REGVALS + 8]
  mov ebx, [REGVALS + 12]
  mov ebp, [REGVALS + 20]
  mov esi, [REGVALS + 24]
  mov edi, [REGVALS + 28]
  push SEL_DATA16                       ; DS limit 64 KiB: LEA checks no limit, most forms are past it
  pop ds
  cmp byte [ss:CODE32], 0
  je .call16
  call SEL_ACODE32:0
  push SEL_DATA32
  pop ds
  mov eax, [RES]
  jmp .cmp
.call16:
  call word SEL_ACODE16:0
  push SEL_DATA32
  pop ds
  movzx eax, word [RES]
.cmp:
  cmp eax, [EXP]
  je .ok
  inc dword [BAD]
  cmp dword [FIRSTBAD], 0xFFFFFFFF
  jne .ok
  movzx eax, byte [S]
  shl eax, 8
  mov al, [M]
  mov [FIRSTBAD], eax
.ok:
  ret

; writes ModRM, SIB, displacement and the tail through the data alias (ES)
emit:
  mov edi, PATCH
  add edi, [MPOS]
  mov al, [M]
  stosb
  cmp byte [ADDR32], 0
  je .a16
  and al, 7
  cmp al, 4
  jne .mod32
  mov al, [S]
  stosb
  and al, 7
  cmp al, 5                             ; base 5 with mod 0: disp32, no base
  jne .mod32
  test byte [M], 0xC0
  jz .d32
.mod32:
  mov al, [M]
  shr al, 6
  cmp al, 1
  je .d8
  cmp al, 2
  je .d32
  mov al, [M]
  and al, 7
  cmp al, 5
  je .d32
  jmp .tail
.a16:
  mov al, [M]
  shr al, 6
  cmp al, 1
  je .d8
  cmp al, 2
  je .d16
  mov al, [M]
  and al, 7
  cmp al, 6
  je .d16
  jmp .tail
.d8:
  mov al, [DISP]
  stosb
  jmp .tail
.d16:
  mov ax, [DISP]
  stosw
  jmp .tail
.d32:
  mov eax, [DISP]
  stosd
.tail:
  mov bl, [M]
  and bl, 0x38                          ; reg field
  mov al, 0x89
  stosb
  cmp byte [CODE32], 0
  je .t16
  mov al, bl
  or al, 5
  stosb
  mov eax, RES
  stosd
  mov ax, 0x258B
  stosw
  mov eax, SAVESP
  stosd
  jmp .ret
.t16:
  mov al, bl
  or al, 6
  stosb
  mov ax, RES
  stosw
  mov ax, 0x268B
  stosw
  mov ax, SAVESP
  stosw
.ret:
  mov al, 0xCB
  stosb
  ret

; EAX = the value the routine stores: the effective address of [M]/[S]/[DISP] computed from the
; register values, truncated to 16 bits for 16-bit addressing or a 16-bit destination
expect:
  movzx ebx, byte [M]
  mov ecx, ebx
  shr ecx, 6                            ; mod
  mov edx, ebx
  and edx, 7                            ; rm
  cmp byte [ADDR32], 0
  je .a16
  xor eax, eax
  cmp edx, 4
  jne .nosib
  movzx esi, byte [S]
  mov edi, esi
  shr edi, 3
  and edi, 7                            ; index
  cmp edi, 4
  je .noindex
  mov eax, [REGVALS + edi*4]
  push ecx
  mov ecx, esi
  shr ecx, 6                            ; scale
  shl eax, cl
  pop ecx
.noindex:
  and esi, 7                            ; base
  cmp esi, 5
  jne .base
  test ecx, ecx
  jnz .base
  add eax, [DISP]
  jmp .done
.base:
  add eax, [REGVALS + esi*4]
  jmp .disp32
.nosib:
  cmp edx, 5
  jne .rmreg
  test ecx, ecx
  jnz .rmreg
  mov eax, [DISP]
  jmp .done
.rmreg:
  mov eax, [REGVALS + edx*4]
.disp32:
  cmp ecx, 1
  jne .m2
  movsx edi, byte [DISP]
  add eax, edi
  jmp .done
.m2:
  cmp ecx, 2
  jne .done
  add eax, [DISP]
  jmp .done
.a16:
  test ecx, ecx
  jnz .regs16
  cmp edx, 6
  jne .regs16
  movzx eax, word [DISP]
  jmp .trunc
.regs16:
  movzx esi, byte [cs:base16 + edx]
  movzx edi, byte [cs:index16 + edx]
  mov eax, [REGVALS + esi*4]
  add eax, [REGVALS + edi*4]
  cmp ecx, 1
  jne .m2_16
  movsx edi, byte [DISP]
  add eax, edi
  jmp .trunc
.m2_16:
  cmp ecx, 2
  jne .trunc
  movzx edi, word [DISP]
  add eax, edi
.trunc:
  and eax, 0xFFFF
.done:
  cmp byte [CODE32], 0
  jne .r
  and eax, 0xFFFF
.r:
  ret

base16:  db 3, 3, 5, 5, 6, 7, 5, 3      ; BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP, BX
index16: db 6, 7, 6, 7, 8, 8, 8, 8      ; 8: the zero slot
regvals:
  dd 0x01000001, 0x02000010, 0x04000100, 0x08001000, 0, 0x10010000, 0x20100000, 0x41000000, 0

  FAULT_STUBS
  GDT_TABLE
bits 16
  LIBRARY 16
bits 32
  LIBRARY 32
  STRINGS
bits 16
  RESET_VECTOR start
