import { registry } from "@web/core/registry";

const emailRow = (address) => `div[name='email_ids'] .o_data_row:contains('${address}')`;

registry.category("web_tour.tours").add("crm_clients_lock_tour", {
    steps: () => [
        {
            content: "Open the Details tab (emails and phones are there on the client form)",
            trigger: ".o_notebook .nav-link:contains('Details')",
            run: "click",
        },
        {
            content: "Add an email line",
            trigger: "div[name='email_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Type the address",
            trigger: "div[name='email_ids'] .o_selected_row div[name='email'] input",
            run: "edit zamowienia@tour-client.pl",
        },
        {
            content: "Save the client",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
        {
            content: "Lock the new line",
            trigger: `${emailRow("zamowienia@tour-client.pl")} button[name='action_lock']`,
            run: "click",
        },
        {
            content: "The line shows it is locked",
            trigger: `${emailRow("zamowienia@tour-client.pl")} button[name='action_unlock']`,
        },
        {
            content: "Try to edit the locked address",
            trigger: `${emailRow("zamowienia@tour-client.pl")} td[name='email']`,
            run: "click",
        },
        {
            content: "The address cannot be edited: no input in the locked row",
            trigger: `${emailRow("zamowienia@tour-client.pl")}:not(:has(div[name='email'] input))`,
        },
        {
            content: "Unlock it (the admin is a lock manager)",
            trigger: `${emailRow("zamowienia@tour-client.pl")} button[name='action_unlock']`,
            run: "click",
        },
        {
            content: "Unlocked",
            trigger: `${emailRow("zamowienia@tour-client.pl")} button[name='action_lock']`,
        },
        {
            content: "Edit the address",
            trigger: `${emailRow("zamowienia@tour-client.pl")} td[name='email']`,
            run: "click",
        },
        {
            content: "Type the new address",
            trigger: "div[name='email_ids'] .o_selected_row div[name='email'] input",
            run: "edit biuro@tour-client.pl",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The edited address is saved",
            trigger: `.o_form_saved ${emailRow("biuro@tour-client.pl")}`,
        },
    ],
});
