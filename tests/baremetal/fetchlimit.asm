; Instruction fetch and the CS limit (SDM vol. 3 5.3: #GP(0) for an instruction fetch past the
; code segment's limit). Code in RAM at 0x30000 runs through SEL_LCODE32 (limit 0xFF) and,
; once, through SEL_ACODE32 (limit 0xFFFF): falling off the end at the limit, an instruction
; that straddles the limit (the fault is on its first byte, nothing of it done), one that ends
; exactly at the limit, and an instruction decoded (and cached) while it fitted in a larger
; alias of the same bytes, then run through the small one. Each test ends in the #GP handler,
; which resumes at offset 0x10 of the faulting code segment: a far jump back into the ROM
; through the pointer at BACK.
%include "lib.inc"
%include "pm.inc"
BACK    equ 0x700                       ; m16:32 of the ROM label to continue at
PATCH   equ 0x10000                     ; RAM 0x30000 through SEL_ADATA

; BYTES offset, b... -- writes code bytes at RAM 0x30000 + offset through the data alias
%macro BYTES 2+
  mov edi, PATCH + %1
  jmp %%w
%%b: db %2
%%e:
%%w:
  mov esi, 0xF0000 + %%b
  mov ecx, %%e - %%b
  rep movsb
%endmacro

; RUN selector, offset, continue-label -- far jump into the RAM code, come back at the label
%macro RUN 3
  mov dword [BACK], %3
  mov word [BACK + 4], SEL_CODE32
  EXPECT 0x10
  jmp %1:%2
%endmacro

PM32_ROM_START
  mov ax, SEL_ADATA
  mov es, ax
  BYTES 0x10, 0xFF, 0x2D, BACK & 0xFF, BACK >> 8, 0, 0        ; jmp far [BACK]
; ---- falling off the end: NOPs up to the limit, the next fetch is past it
  BYTES 0xFD, 0x90, 0x90, 0x90
  RUN SEL_LCODE32, 0xFD, t1
t1:
  mov eax, [LASTVEC]
  CHECK "fall-off-limit-gp-vector", 13
  mov eax, [LASTERR]
  CHECK "fall-off-limit-gp-error", 0
  mov eax, [FAULTIP]
  CHECK "fall-off-limit-eip", 0x100
; ---- MOV EAX, imm32 at 0xFC: its last byte is past the limit
  BYTES 0xFC, 0xB8, 0x44, 0x33, 0x22, 0x11
  xor eax, eax
  RUN SEL_LCODE32, 0xFC, t2
t2:
  CHECK "straddling-instruction-not-executed", 0
  mov eax, [LASTVEC]
  CHECK "straddling-instruction-gp-vector", 13
  mov eax, [FAULTIP]
  CHECK "straddling-instruction-eip", 0xFC
; ---- the same at 0xFB ends on the limit: it runs, the next fetch faults
  BYTES 0xFB, 0xB8, 0x44, 0x33, 0x22, 0x11
  xor eax, eax
  RUN SEL_LCODE32, 0xFB, t3
t3:
  CHECK "instruction-ending-at-limit-executed", 0x11223344
  mov eax, [FAULTIP]
  CHECK "instruction-ending-at-limit-next-eip", 0x100
; ---- MOV EAX, [EBX + disp32] at 0xFB (to 0x100): fits through the 64 KiB alias, where it is
; run (and its decode cached); through the small alias it straddles the limit
  BYTES 0xFB, 0x8B, 0x83, 0, 0, 0, 0, 0xFF, 0x2D, BACK & 0xFF, BACK >> 8, 0, 0
  mov dword [0x600], 0x600D
  mov ebx, 0x600
  xor eax, eax
  RUN SEL_ACODE32, 0xFB, t4
t4:
  CHECK "modrm-instruction-runs-in-large-alias", 0x600D
  xor eax, eax
  RUN SEL_LCODE32, 0xFB, t5
t5:
  CHECK "cached-modrm-instruction-straddling-not-executed", 0
  mov eax, [LASTVEC]
  CHECK "cached-modrm-instruction-straddling-gp-vector", 13
  mov eax, [FAULTIP]
  CHECK "cached-modrm-instruction-straddling-eip", 0xFB
  call finish_32

  PM32_ROM_END
