from django import forms

from agency.models import Agency


class BrandingForm(forms.ModelForm):
    logo_upload = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG or SVG, at most 2 MB. Shown in the header, emails and reports.",
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)

    class Meta:
        model = Agency
        fields = [
            "name",
            "brand_primary",
            "brand_accent",
            "sender_name",
            "reply_to",
            "contact_line",
            "report_footer",
        ]
        widgets = {
            "brand_primary": forms.TextInput(attrs={"type": "color"}),
            "brand_accent": forms.TextInput(attrs={"type": "color"}),
        }
        labels = {"name": "Agency name", "brand_primary": "Primary colour", "brand_accent": "Accent colour"}
