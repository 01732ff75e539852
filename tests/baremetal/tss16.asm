; Task switches to and from a 16-bit (80286-format) TSS, as the SDM describes them (vol. 3
; 8.6): a CALL to the TSS from a 32-bit task (registers, segments, IP and FLAGS read from the
; word fields, NT, back link, busy bits, CR0.TS, FS/GS of the 32-bit task kept in its own TSS),
; IRET back (the 16-bit task's state saved as words), a JMP that resumes the 16-bit task after
; its IRET and a JMP back (busy bits without NT), and a #GP with its error code delivered
; through a task gate to the 16-bit task (the error code pushed as a word on its stack), which
; repairs the faulting task's saved EAX so the retried instruction succeeds.
%include "lib.inc"
%include "pm.inc"
R16 equ 0x780                            ; results written by the 16-bit task
%macro CHECKW 3                          ; CHECKW address, "name", expected: the word at address
  movzx eax, word [%1]
  CHECK %2, %3
%endmacro
PM32_ROM_START
  MAIN_TSS TSS16 + 0x40 - TSS1           ; TSS1 .. TSS16 zeroed
  mov word [TSS16 + 0x0E], t16_entry     ; IP
  mov word [TSS16 + 0x10], 0x0002        ; FLAGS
  mov word [TSS16 + 0x12], 0x1111        ; AX
  mov word [TSS16 + 0x14], 0x2222        ; CX
  mov word [TSS16 + 0x16], 0x3333        ; DX
  mov word [TSS16 + 0x18], 0x4444        ; BX
  mov word [TSS16 + 0x1A], 0x6800        ; SP
  mov word [TSS16 + 0x1C], 0x5555        ; BP
  mov word [TSS16 + 0x1E], 0x6666        ; SI
  mov word [TSS16 + 0x20], 0x7777        ; DI
  mov word [TSS16 + 0x22], SEL_DATA16    ; ES
  mov word [TSS16 + 0x24], SEL_CODE16    ; CS
  mov word [TSS16 + 0x26], SEL_DATA16    ; SS
  mov word [TSS16 + 0x28], SEL_DATA16    ; DS
  mov word [TSS16 + 0x2A], 0             ; no LDT
; ---- CALL to the 16-bit TSS, back with its IRET
  mov ebx, 0xABCD1234
  mov esi, 0x12345678
  call SEL_TSS16:0
  mov eax, ebx
  CHECK "call-return-restores-ebx", 0xABCD1234
  mov eax, esi
  CHECK "call-return-restores-esi", 0x12345678
  mov eax, fs
  CHECK "call-return-restores-fs", SEL_DATA32
  CHECKW R16 + 0x00, "tss16-loads-ax", 0x1111
  CHECKW R16 + 0x02, "tss16-loads-cx", 0x2222
  CHECKW R16 + 0x04, "tss16-loads-dx", 0x3333
  CHECKW R16 + 0x06, "tss16-loads-bx", 0x4444
  CHECKW R16 + 0x08, "tss16-loads-sp", 0x6800
  CHECKW R16 + 0x0A, "tss16-loads-bp", 0x5555
  CHECKW R16 + 0x0C, "tss16-loads-si", 0x6666
  CHECKW R16 + 0x0E, "tss16-loads-di", 0x7777
  CHECKW R16 + 0x10, "tss16-tr", SEL_TSS16
  CHECKW R16 + 0x12, "tss16-nt-set-by-call", 0x4000
  CHECKW R16 + 0x14, "tss16-back-link", SEL_TSS1
  CHECKW R16 + 0x16, "tss16-busy-while-running", 0x83
  CHECKW R16 + 0x18, "tss16-cs", SEL_CODE16
  CHECKW R16 + 0x1A, "tss16-ss", SEL_DATA16
  CHECKW R16 + 0x1C, "tss16-cr0-ts", 8
  CHECKW TSS16 + 0x0E, "iret-saves-ip-word", t16_resume
  CHECKW TSS16 + 0x12, "iret-saves-ax-word", 0xBEEF
  CHECKW TSS16 + 0x20, "iret-saves-di-word", 0x7777
  movzx eax, word [TSS16 + 0x10]
  and eax, 0x4000
  CHECK "iret-saves-flags-without-nt", 0
  CHECKW TSS16 + 0x24, "iret-saves-cs", SEL_CODE16
  movzx eax, byte [GDT_RAM + SEL_TSS16 + 5]
  CHECK "tss16-available-after-iret", 0x81
  movzx eax, byte [GDT_RAM + SEL_TSS1 + 5]
  CHECK "tss1-busy-after-iret", 0x8B
  str ax
  movzx eax, ax
  CHECK "tr-after-iret", SEL_TSS1
; ---- JMP to the 16-bit TSS (resumes after its IRET), JMP back
  clts
  jmp SEL_TSS16:0
.back:
  CHECKW R16 + 0x20, "jmp-resumes-16-bit-task", 0xBEEF
  CHECKW R16 + 0x22, "jmp-leaves-nt-clear", 0
  CHECKW R16 + 0x24, "jmp-frees-old-tss", 0x89
  movzx eax, byte [GDT_RAM + SEL_TSS16 + 5]
  CHECK "jmp-back-frees-tss16", 0x81
  movzx eax, byte [GDT_RAM + SEL_TSS1 + 5]
  CHECK "jmp-back-marks-tss1-busy", 0x8B
  CHECKW TSS16 + 0x0E, "jmp-saves-ip-word", t16_jumped_back
; ---- #GP(0x1230) through a task gate to the 16-bit task
  mov word [TSS16 + 0x0E], t16_gp        ; IP
  mov word [TSS16 + 0x10], 0x0002        ; FLAGS
  mov word [TSS16 + 0x1A], 0x6800        ; SP
  SET_GATE 13, 0, 0x85, SEL_TSS16
  mov ax, 0x1230                         ; GDT selector past the limit
  mov es, ax                             ; #GP(0x1230); retried with the EAX the handler wrote
  mov eax, es
  CHECK "task-gate-fault-retried", SEL_DATA32
  CHECKW R16 + 0x30, "task-gate-error-code-word", 0x1230
  CHECKW R16 + 0x32, "task-gate-error-code-size", 0x67FE
  SET_GATE 13, fault_stubs + 13*16, 0x8E, SEL_CODE32
  call finish_32

bits 16
t16_entry:                               ; reached by the CALL
  mov [R16 + 0x00], ax
  mov [R16 + 0x02], cx
  mov [R16 + 0x04], dx
  mov [R16 + 0x06], bx
  mov [R16 + 0x08], sp
  mov [R16 + 0x0A], bp
  mov [R16 + 0x0C], si
  mov [R16 + 0x0E], di
  str ax
  mov [R16 + 0x10], ax
  pushf
  pop ax
  and ax, 0x4000
  mov [R16 + 0x12], ax
  mov ax, [TSS16]
  mov [R16 + 0x14], ax
  xor ax, ax
  mov al, [GDT_RAM + SEL_TSS16 + 5]
  mov [R16 + 0x16], ax
  mov [R16 + 0x18], cs
  mov [R16 + 0x1A], ss
  smsw ax
  and ax, 8
  mov [R16 + 0x1C], ax
  mov ax, 0xBEEF
  iret                                   ; NT: back to the 32-bit task
t16_resume:                              ; reached by the JMP
  mov [R16 + 0x20], ax
  pushf
  pop ax
  and ax, 0x4000
  mov [R16 + 0x22], ax
  xor ax, ax
  mov al, [GDT_RAM + SEL_TSS1 + 5]
  mov [R16 + 0x24], ax
  jmp SEL_TSS1:0
t16_jumped_back:
  jmp $                                  ; not reached

t16_gp:                                  ; #GP through the task gate: error code on the stack
  pop ax
  mov [R16 + 0x30], ax
  mov [R16 + 0x32], sp
  sub word [R16 + 0x32], 2
  mov word [TSS1 + 0x28], SEL_DATA32     ; the faulting task's EAX: the retry loads a valid ES
  iret

bits 32
  PM32_ROM_END
