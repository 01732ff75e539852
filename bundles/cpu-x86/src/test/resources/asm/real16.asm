; Real-mode code paths: 16-bit addressing, segment arithmetic, far calls, REP MOVSB across
; segments, LOOP on CX, 0x66/0x67 prefixes, INT/IRET through the IVT. Prints to port 0xE9.
BITS 16
org 0x7c00
start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    ; sum 1..100 with LOOP
    xor ax, ax
    mov cx, 100
.sum:
    add ax, cx
    loop .sum
    mov [result], ax                  ; 5050
    ; copy msg to 0x1000:0x0010 with REP MOVSB, then print it from there
    mov si, msg
    mov ax, 0x1000
    mov es, ax
    mov di, 0x10
    mov cx, msg_end - msg
    cld
    rep movsb
    push es
    pop ds
    mov si, 0x10
    mov cx, msg_end - msg
.print:
    lodsb
    out 0xe9, al
    loop .print
    xor ax, ax
    mov ds, ax
    ; table lookup through [bx+si+disp] and [bp+di] (SS default)
    mov bx, table
    mov si, 2
    mov al, [bx+si+1]                 ; table[3] = 'D'
    out 0xe9, al
    mov bp, table
    mov di, 4
    mov al, [bp+di]                   ; table[4] = 'E'
    out 0xe9, al
    ; far call into another segment (code copied to 0x2000:0000)
    mov ax, 0x2000
    mov es, ax
    xor di, di
    mov si, farfn
    mov cx, farfn_end - farfn
    rep movsb
    call 0x2000:0x0000                ; returns AX = 0x4321
    mov [result+2], ax
    ; 32-bit operands and addresses in real mode
    mov eax, 0x12345678
    shr eax, 16
    mov [result+4], ax                ; 0x1234
    mov ebx, table
    mov al, [ebx+5]                   ; 'F'
    out 0xe9, al
    ; software interrupt through the IVT
    mov word [0x41*4], handler
    mov word [0x41*4+2], 0
    int 0x41
    mov [result+6], dx                ; 0xbeef
    hlt
handler:
    mov dx, 0xbeef
    iret
farfn:
    mov ax, 0x4321
    retf
farfn_end:
msg: db "real mode!"
msg_end:
table: db "ABCDEFGH"
result equ 0x6000
